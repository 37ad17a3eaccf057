//! Link flags for the `roster` binary only.
//!
//! The binary is position-independent (ASLR), so every pointer stored in its data (vtables,
//! string tables, static lists) needs a relocation applied at start-up: some 34 000 of them. As
//! 24-byte RELA records that is a table of 0.8 MB (1.5 MB before the calendar code dropped a
//! second time-zone database) that the loader reads whole at every start and that stays
//! resident. Packed relative relocations (DT_RELR, glibc 2.36+, binutils 2.38+) store the same
//! in 10 KB. Older linkers ignore the option with a warning, and a linker whose libc lacks
//! DT_RELR leaves the relocations as they were.
fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
