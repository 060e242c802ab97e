//! Rebuilds the crate when the web frontends' build output changes: release builds embed
//! `web/dist` (src/api/web.rs) file by file, and a new hashed asset is a new file that the
//! compiler would not otherwise notice.
fn main() {
    if std::path::Path::new("web/dist").exists() {
        println!("cargo:rerun-if-changed=web/dist");
    } else {
        // Without a build yet, `web/dist` appearing changes `web`'s own modification time.
        println!("cargo:rerun-if-changed=web");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
