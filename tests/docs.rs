//! docs/settings.md is generated from the settings table; this test fails
//! when they differ. `make docs` rewrites the file.

use ezcluster::store::settings::{Permission, SETTINGS};

fn render() -> String {
    let mut out = String::from(
        "# Settings\n\n\
         Generated from `src/store/settings.rs` by `make docs`; do not edit by hand.\n\n\
         Each setting has an eZ Publish name (the `[ClusteringSettings]` key, also the key for\n\
         `eZClusterFileHandler::configure()`) and a php.ini name. `system` settings can be set in\n\
         php.ini (or with `-d`), never with `ini_set()`.\n\n\
         | Setting | php.ini | Default | Changeable | Description |\n\
         |---|---|---|---|---|\n",
    );
    for d in SETTINGS {
        let default = if d.default.is_empty() { "(empty)".to_string() } else { format!("`{}`", d.default) };
        let permission = match d.permission {
            Permission::System => "system",
            Permission::All => "anywhere",
        };
        out.push_str(&format!("| `{}` | `{}` | {default} | {permission} | {} |\n", d.key, d.ini, d.doc));
    }
    out
}

#[test]
fn settings_doc_matches_the_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/settings.md");
    let want = render();
    if std::env::var("EZCLUSTER_WRITE_DOCS").as_deref() == Ok("1") {
        std::fs::write(path, &want).unwrap();
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(have == want, "docs/settings.md is out of date: run `make docs`");
}
