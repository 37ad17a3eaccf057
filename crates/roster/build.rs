//! Link flags for the `roster` binary only.
//!
//! The binary is position-independent (ASLR), so every pointer stored in its read-only data
//! (vtables, string tables, the time-zone, phone-number and password dictionaries) needs a
//! relocation applied at start-up. As 24-byte RELA entries these were 200 000+ records, a table
//! of several MB that the loader reads whole at every start and that stayed resident. Packed
//! relative relocations (DT_RELR, glibc 2.36+, binutils 2.38+) store the same as a bitmap of a
//! few KB. Older linkers ignore the option with a warning, and a linker whose libc lacks
//! DT_RELR leaves the relocations as they were.
fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
