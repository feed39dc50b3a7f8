//! `eZClusterFileHandler`: argument conversion around `store::cluster`, with
//! eZ Publish's argument orders, defaults and return conventions (`false`
//! for a missing file).

use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, ZendStr, Zval};

use super::{settings, to_php, type_error};
use crate::store::cluster::Cluster;
use crate::store::{Config, FileMeta, ScopeFilter};

#[php_class]
#[php(name = "eZClusterFileHandler")]
pub struct ClusterFileHandler {
    /// The bound file, or `None` for `instance()` without a path.
    path: Option<String>,
    /// Loaded metadata: `None` not loaded yet, `Some(None)` no such file.
    meta: Option<Option<FileMeta>>,
}

fn false_zval() -> Zval {
    let mut z = Zval::new();
    z.set_bool(false);
    z
}

fn bytes_zval(bytes: &[u8]) -> Zval {
    let mut z = Zval::new();
    z.set_zend_string(ZendStr::new(bytes, false));
    z
}

/// A `string|false` argument (`false` and `null` mean "use the default").
fn optional_str<'a>(value: Option<&'a Zval>, arg: &str) -> PhpResult<Option<&'a str>> {
    match value {
        None => Ok(None),
        Some(z) if z.is_null() || z.is_false() => Ok(None),
        Some(z) => z.str().map(Some).ok_or_else(|| type_error(format!("{arg} must be of type string|false"))),
    }
}

/// A `string[]|false` argument.
fn optional_strings(value: Option<&Zval>, arg: &str) -> PhpResult<Option<Vec<String>>> {
    let Some(z) = value.filter(|z| !z.is_null() && !z.is_false()) else { return Ok(None) };
    let error = || type_error(format!("{arg} must be of type array|false with string values"));
    let array = z.array().ok_or_else(error)?;
    array.values().map(|v| v.string().ok_or_else(error)).collect::<PhpResult<Vec<_>>>().map(Some)
}

/// Binary-safe bytes of a string argument.
fn bytes_arg<'a>(value: &'a Zval, arg: &str) -> PhpResult<&'a [u8]> {
    value.zend_str().map(|s| s.as_bytes()).ok_or_else(|| type_error(format!("{arg} must be of type string")))
}

fn config() -> PhpResult<std::sync::Arc<Config>> {
    settings::current().map_err(to_php)
}

impl ClusterFileHandler {
    fn bound(&self) -> PhpResult<&str> {
        self.path.as_deref().ok_or_else(|| {
            to_php(crate::store::Error::InvalidArgument(
                "this eZClusterFileHandler is bound to no file: use eZClusterFileHandler::instance($path)".into(),
            ))
        })
    }

    fn loaded_meta(&mut self) -> PhpResult<Option<&FileMeta>> {
        if self.meta.is_none() {
            self.load_meta_data(Some(false))?;
        }
        Ok(self.meta.as_ref().and_then(|m| m.as_ref()))
    }
}

#[php_impl]
impl ClusterFileHandler {
    /// A handler bound to `$filePath`, or unbound when it is false.
    #[php(optional = file_path)]
    pub fn instance(file_path: Option<&Zval>) -> PhpResult<Self> {
        let path = optional_str(file_path, "eZClusterFileHandler::instance(): Argument #1 ($filePath)")?;
        if let Some(p) = path {
            crate::store::cluster::check_name(p).map_err(to_php)?;
        }
        Ok(ClusterFileHandler { path: path.map(str::to_string), meta: None })
    }

    /// Overrides settings for this request, with eZ's `[ClusteringSettings]`
    /// keys (`DBBackend`, `DBHost`, ...) or php.ini names.
    pub fn configure(settings: &ZendHashTable) -> PhpResult<()> {
        settings::configure(settings::pairs(settings)?).map_err(to_php)
    }

    /// Creates the ezdbfile tables if missing (for sites with DBCreateTables=0).
    pub fn create_tables() -> PhpResult<()> {
        Cluster::new(&*config()?).create_tables().map_err(to_php)
    }

    // ---- by path ----

    /// Stores the local file `$filePath` under the same name. Returns false
    /// when the local file does not exist.
    #[php(optional = scope)]
    pub fn file_store(&self, file_path: &str, scope: Option<&Zval>, delete: Option<bool>, datatype: Option<&Zval>) -> PhpResult<bool> {
        let scope = optional_str(scope, "fileStore(): Argument #2 ($scope)")?;
        let datatype = optional_str(datatype, "fileStore(): Argument #4 ($datatype)")?;
        let config = config()?;
        let stored = Cluster::new(&config).store_file(file_path, scope, datatype).map_err(to_php)?;
        if stored && delete.unwrap_or(false) && config.file_handler == crate::store::FileHandler::Ezdb {
            std::fs::remove_file(file_path)
                .map_err(|e| to_php(crate::store::Error::io(file_path, e)))?;
        }
        Ok(stored)
    }

    #[php(optional = scope)]
    pub fn file_store_contents(&self, file_path: &str, contents: &Zval, scope: Option<&Zval>, datatype: Option<&Zval>) -> PhpResult<()> {
        let contents = bytes_arg(contents, "fileStoreContents(): Argument #2 ($contents)")?;
        let scope = optional_str(scope, "fileStoreContents(): Argument #3 ($scope)")?;
        let datatype = optional_str(datatype, "fileStoreContents(): Argument #4 ($datatype)")?;
        Cluster::new(&*config()?).store_contents(file_path, contents, scope, datatype).map_err(to_php)
    }

    /// Copies a stored file to the same path on local disk; returns the path,
    /// or false when there is no such stored file.
    pub fn file_fetch(&self, file_path: &str) -> PhpResult<Zval> {
        let found = Cluster::new(&*config()?).fetch_to_file(file_path, file_path).map_err(to_php)?;
        Ok(if found.is_some() { bytes_zval(file_path.as_bytes()) } else { false_zval() })
    }

    pub fn file_fetch_contents(&self, file_path: &str) -> PhpResult<Zval> {
        let found = Cluster::new(&*config()?).fetch_contents(file_path).map_err(to_php)?;
        Ok(found.map_or_else(false_zval, |bytes| bytes_zval(&bytes)))
    }

    pub fn file_exists(&self, path: &str) -> PhpResult<bool> {
        Ok(Cluster::new(&*config()?).metadata(path).map_err(to_php)?.is_some())
    }

    /// Soft delete (negative mtime, expired = 1). Returns whether a file was deleted.
    pub fn file_delete(&self, path: &str) -> PhpResult<bool> {
        Cluster::new(&*config()?).delete(path).map_err(to_php)
    }

    /// Names of all stored files, optionally only those of `$scopes`, or all
    /// but those when `$excludeScopes` is true.
    #[php(optional = scopes)]
    pub fn get_file_list(&self, scopes: Option<&Zval>, exclude_scopes: Option<bool>) -> PhpResult<Vec<String>> {
        let filter = match optional_strings(scopes, "getFileList(): Argument #1 ($scopes)")? {
            None => ScopeFilter::All,
            Some(s) if exclude_scopes.unwrap_or(false) => ScopeFilter::Except(s),
            Some(s) => ScopeFilter::Only(s),
        };
        Cluster::new(&*config()?).list(&filter).map_err(to_php)
    }

    // ---- on the bound file ----

    /// (Re)loads the bound file's metadata; returns whether the file exists.
    #[php(optional = force)]
    pub fn load_meta_data(&mut self, force: Option<bool>) -> PhpResult<bool> {
        if self.meta.is_none() || force.unwrap_or(false) {
            let path = self.bound()?.to_string();
            self.meta = Some(Cluster::new(&*config()?).metadata(&path).map_err(to_php)?);
        }
        Ok(matches!(self.meta, Some(Some(_))))
    }

    pub fn exists(&mut self) -> PhpResult<bool> {
        self.load_meta_data(Some(true))
    }

    /// Size in bytes, or null when the file does not exist.
    pub fn size(&mut self) -> PhpResult<Option<i64>> {
        Ok(self.loaded_meta()?.map(|m| m.size as i64))
    }

    /// Modification time, or null when the file does not exist.
    pub fn mtime(&mut self) -> PhpResult<Option<i64>> {
        Ok(self.loaded_meta()?.map(|m| m.mtime))
    }

    /// The metadata row (name, name_trunk, name_hash, datatype, scope, size,
    /// mtime, expired), or false when the file does not exist.
    pub fn stat(&mut self) -> PhpResult<Zval> {
        let Some(m) = self.loaded_meta()?.cloned() else { return Ok(false_zval()) };
        let mut row = ZendHashTable::new();
        let insert = |row: &mut ZendHashTable, k: &str, v: Zval| row.insert(k, v).map_err(PhpException::from);
        insert(&mut row, "name", bytes_zval(m.name.as_bytes()))?;
        insert(&mut row, "name_trunk", bytes_zval(m.name_trunk.as_bytes()))?;
        insert(&mut row, "name_hash", bytes_zval(crate::store::name_hash(&m.name).as_bytes()))?;
        insert(&mut row, "datatype", bytes_zval(m.datatype.as_bytes()))?;
        insert(&mut row, "scope", bytes_zval(m.scope.as_bytes()))?;
        let mut n = Zval::new();
        n.set_long(m.size as i64);
        insert(&mut row, "size", n)?;
        let mut n = Zval::new();
        n.set_long(m.mtime);
        insert(&mut row, "mtime", n)?;
        let mut n = Zval::new();
        n.set_bool(m.expired);
        insert(&mut row, "expired", n)?;
        let mut z = Zval::new();
        z.set_hashtable(row);
        Ok(z)
    }

    /// The bound path (false when unbound).
    pub fn name(&self) -> Zval {
        self.path.as_deref().map_or_else(false_zval, |p| bytes_zval(p.as_bytes()))
    }

    #[php(optional = scope)]
    pub fn store_contents(&mut self, contents: &Zval, scope: Option<&Zval>, datatype: Option<&Zval>, store_locally: Option<bool>) -> PhpResult<()> {
        let path = self.bound()?.to_string();
        let bytes = bytes_arg(contents, "storeContents(): Argument #1 ($contents)")?;
        let scope = optional_str(scope, "storeContents(): Argument #2 ($scope)")?;
        let datatype = optional_str(datatype, "storeContents(): Argument #3 ($datatype)")?;
        self.meta = None;
        Cluster::new(&*config()?).store_contents(&path, bytes, scope, datatype).map_err(to_php)?;
        if store_locally.unwrap_or(false) {
            crate::store::fs::write_atomically(std::path::Path::new(&path), |f| {
                std::io::Write::write_all(f, bytes).map_err(|e| crate::store::Error::io(&path, e))?;
                Ok(true)
            })
            .map_err(to_php)?;
        }
        Ok(())
    }

    /// Copies the bound file to local disk; returns its path, or false.
    #[php(optional = no_local_cache)]
    pub fn fetch(&mut self, no_local_cache: Option<bool>) -> PhpResult<Zval> {
        let _ = no_local_cache; // local copies are always refreshed
        let path = self.bound()?.to_string();
        let found = Cluster::new(&*config()?).fetch_to_file(&path, &path).map_err(to_php)?;
        self.meta = Some(found.clone());
        Ok(if found.is_some() { bytes_zval(path.as_bytes()) } else { false_zval() })
    }

    pub fn fetch_contents(&mut self) -> PhpResult<Zval> {
        let path = self.bound()?.to_string();
        let found = Cluster::new(&*config()?).fetch_contents(&path).map_err(to_php)?;
        Ok(found.map_or_else(false_zval, |bytes| bytes_zval(&bytes)))
    }

    pub fn delete(&mut self) -> PhpResult<bool> {
        let path = self.bound()?.to_string();
        self.meta = None;
        Cluster::new(&*config()?).delete(&path).map_err(to_php)
    }
}
