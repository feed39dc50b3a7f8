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
    out.push_str(PRECEDENCE);
    out
}

/// Hand-written: where values come from, and the settings file's format.
const PRECEDENCE: &str = "
## Precedence

A setting takes the value of the last of these sources that sets it:

1. the built-in default (the table above);
2. php.ini, or `-d` on the command line;
3. the eZ Publish INI file named by `ezcluster.settings_file`, e.g.
   `settings/override/file.ini.append.php`: its `[ClusteringSettings]` group;
4. `eZClusterFileHandler::configure()`, for the rest of the current request
   (it may also name another `SettingsFile`).

The settings file is read as eZ Publish reads it: the `<?php /* ... */ ?>`
wrapper lines and the `#?ini charset` mark are ignored, `#` starts a comment
line and `##` a comment to the end of the line, other groups are ignored, and
so are keys of `[ClusteringSettings]` that are not settings of this table
(eZ's other cluster settings, array lines such as `NonExistantStaleCacheHandling[]`).
Blanks around keys and `=` are allowed and keys match in any case. A relative
path is taken from the current directory; give an absolute one.

The file is parsed once and again only when its modification time or size
changes; each request checks that with one `stat()`, so a php-fpm worker sees
an edited file from its next request on. A missing or unreadable file, or a
bad value in it, is an error on the first use of the store that names the
file, the setting and the line (never a password).
";

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
