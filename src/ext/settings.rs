//! php.ini entries, generated from `store::settings::SETTINGS`, and the
//! effective config: php.ini values, the eZ INI file they name, and
//! `configure()` overrides on top (see `store::ini_file::layered`).

use std::ffi::{c_void, CString};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use ext_php_rs::ffi::{zend_ini_entry, zend_string};
use ext_php_rs::flags::IniEntryPermission;
use ext_php_rs::zend::IniEntryDef;
use ext_php_rs::prelude::PhpResult;
use ext_php_rs::types::ZendHashTable;
use parking_lot::Mutex;

use crate::store::ini_file::{self, FileCache};
use super::type_error;

use crate::store::settings::{Permission, SETTINGS};
use crate::store::{Config, Result};

/// Current php.ini value of each setting, in `SETTINGS` order. PHP reports
/// every change (startup, ini_set, end-of-request restore) through
/// `on_modify`, so no lookup in PHP's ini table happens per call.
static INI_VALUES: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// `configure()` overrides for the current request.
static OVERRIDES: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());
/// Bumped on every change above; the cached config is rebuilt when it moves.
static GENERATION: AtomicU64 = AtomicU64::new(1);
static CACHED: Mutex<Option<(u64, Arc<Config>)>> = Mutex::new(None);
/// The settings file (`ezcluster.settings_file`), parsed once per version on disk.
static SETTINGS_FILE: Mutex<FileCache> = Mutex::new(FileCache::new());
/// Whether this request has looked for a new version of the settings file:
/// once per request (one stat), so php-fpm workers see an edited file from
/// their next request on.
static SETTINGS_FILE_CHECKED: AtomicBool = AtomicBool::new(false);

unsafe extern "C" fn on_modify(
    _entry: *mut zend_ini_entry,
    new_value: *mut zend_string,
    index: *mut c_void,
    _: *mut c_void,
    _: *mut c_void,
    _stage: i32,
) -> i32 {
    // SAFETY: PHP passes the entry's new value (or null) for the duration of the call.
    let value = unsafe { new_value.as_ref() }
        .map(|s| String::from_utf8_lossy(s.as_bytes()).into_owned())
        .unwrap_or_default();
    let mut values = INI_VALUES.lock();
    if values.len() != SETTINGS.len() {
        *values = SETTINGS.iter().map(|d| d.default.to_string()).collect();
    }
    values[index as usize] = value;
    GENERATION.fetch_add(1, Ordering::Release);
    0 // SUCCESS
}

/// Registers one ini entry per setting. The table must outlive the process
/// (PHP keeps pointers into it), so it is leaked once at module startup.
pub fn register_ini(module_number: i32) {
    let leak = |s: &str| -> &'static std::ffi::CStr {
        Box::leak(CString::new(s).expect("setting names and defaults have no NUL").into_boxed_c_str())
    };
    let mut defs: Vec<IniEntryDef> = SETTINGS
        .iter()
        .enumerate()
        .map(|(index, d)| {
            let permission = match d.permission {
                Permission::System => IniEntryPermission::System,
                Permission::All => IniEntryPermission::All,
            };
            let mut def = IniEntryDef::new(leak(d.ini), leak(d.default), permission);
            def.on_modify = Some(on_modify);
            def.mh_arg1 = index as *mut c_void;
            def
        })
        .collect();
    defs.push(IniEntryDef::end());
    IniEntryDef::register(Box::leak(defs.into_boxed_slice()), module_number);
}

/// The config in force: php.ini, then this request's `configure()` calls.
pub fn current() -> Result<Arc<Config>> {
    if !SETTINGS_FILE_CHECKED.swap(true, Ordering::AcqRel) && SETTINGS_FILE.lock().changed() {
        GENERATION.fetch_add(1, Ordering::Release);
    }
    let generation = GENERATION.load(Ordering::Acquire);
    if let Some((g, config)) = CACHED.lock().as_ref() {
        if *g == generation {
            return Ok(config.clone());
        }
    }
    let config = Arc::new(layered(&OVERRIDES.lock())?);
    *CACHED.lock() = Some((generation, config.clone()));
    Ok(config)
}

/// The config from php.ini and the settings file (what phpinfo() shows).
pub fn from_ini() -> Result<Config> {
    layered(&[])
}

fn layered(overrides: &[(String, String)]) -> Result<Config> {
    let values = INI_VALUES.lock();
    let ini: Vec<(&str, &str)> = SETTINGS.iter().zip(values.iter()).map(|(d, v)| (d.ini, v.as_str())).collect();
    let overrides: Vec<(&str, &str)> = overrides.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    ini_file::layered(&ini, &overrides, &mut SETTINGS_FILE.lock())
}

/// `eZClusterFileHandler::configure()`: validated as a whole before it takes
/// effect, so a bad call leaves the previous settings in force.
pub fn configure(pairs: Vec<(String, String)>) -> Result<()> {
    let mut candidate = OVERRIDES.lock().clone();
    candidate.extend(pairs);
    layered(&candidate)?;
    *OVERRIDES.lock() = candidate;
    GENERATION.fetch_add(1, Ordering::Release);
    Ok(())
}

/// Request end: `configure()` applies to one request only, so one
/// siteaccess's settings never leak into the next request of the worker.
pub fn end_request() {
    SETTINGS_FILE_CHECKED.store(false, Ordering::Release);
    let mut overrides = OVERRIDES.lock();
    if !overrides.is_empty() {
        overrides.clear();
        GENERATION.fetch_add(1, Ordering::Release);
    }
}

/// The (key, value) pairs of a settings array, as `configure()` and
/// `ezcluster_serve()` take them.
pub fn pairs(settings: &ZendHashTable) -> PhpResult<Vec<(String, String)>> {
    let mut pairs = Vec::with_capacity(settings.len());
    for (key, value) in settings.iter() {
        let value = if let Some(b) = value.bool() {
            (if b { "1" } else { "0" }).to_string()
        } else if let Some(n) = value.long() {
            n.to_string()
        } else {
            value.string().ok_or_else(|| type_error(format!("setting {key} must be a string, integer or bool")))?
        };
        pairs.push((key.to_string(), value));
    }
    Ok(pairs)
}

/// A config built for `ezcluster_serve($path, $settings)`.
struct Built {
    generation: u64,
    settings: Vec<(String, String)>,
    config: Arc<Config>,
}

/// Configs built for `ezcluster_serve($path, $settings)`, by generation and
/// settings: a siteaccess script passes the same array on every request, so
/// each worker builds its config once.
static WITH_SETTINGS: Mutex<Vec<Built>> = Mutex::new(Vec::new());
/// More distinct arrays than this in one process are a misuse; the oldest go.
const WITH_SETTINGS_KEPT: usize = 16;

/// The config in force with `settings` layered on top of it.
pub fn current_with(settings: Vec<(String, String)>) -> Result<Arc<Config>> {
    let generation = GENERATION.load(Ordering::Acquire);
    let mut cache = WITH_SETTINGS.lock();
    if let Some(built) = cache.iter().find(|b| b.generation == generation && b.settings == settings) {
        return Ok(built.config.clone());
    }
    let mut layers = OVERRIDES.lock().clone();
    layers.extend(settings.iter().cloned());
    let config = Arc::new(layered(&layers)?);
    cache.retain(|b| b.generation == generation);
    if cache.len() >= WITH_SETTINGS_KEPT {
        cache.remove(0);
    }
    cache.push(Built { generation, settings, config: config.clone() });
    Ok(config)
}
