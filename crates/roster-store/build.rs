//! `sqlx::migrate!` embeds the migration folders at compile time; without this, a migration
//! added to a folder would be left out until some source file of this crate changed.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
