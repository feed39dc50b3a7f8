//! The ext-php-rs glue: module registration, php.ini entries, phpinfo(),
//! and the eZClusterFileHandler class. Logic lives in `crate::store`.

mod cache;
mod handler;
mod serve;
mod settings;

use std::sync::atomic::{AtomicPtr, Ordering};

use ext_php_rs::builders::ClassBuilder;
use ext_php_rs::prelude::*;
use ext_php_rs::zend::{ce, ClassEntry, ModuleEntry};
use ext_php_rs::{exception::PhpException, info_table_end, info_table_header, info_table_row, info_table_start};

use crate::store::Error;

/// `eZClusterFileHandlerException`, thrown for store failures: bad settings,
/// unreachable database, I/O. A plain subclass of Exception with no Rust
/// state, registered without an object handler so that it keeps Exception's
/// constructor: PHP code can create (and serialize) it like any exception.
static CLUSTER_EXCEPTION: AtomicPtr<ClassEntry> = AtomicPtr::new(std::ptr::null_mut());

fn register_exception_class() {
    ClassBuilder::new("eZClusterFileHandlerException")
        .extends((ce::exception, "Exception"))
        .registration(|class, no_methods| {
            // PHP may keep pointers into the (empty) method tables: leaked.
            std::mem::forget(no_methods);
            CLUSTER_EXCEPTION.store(class, Ordering::Release);
        })
        .register()
        .expect("eZClusterFileHandlerException registers at startup");
}

fn cluster_exception() -> &'static ClassEntry {
    // SAFETY: set once at module startup, before any method can run; PHP
    // keeps the class entry for the life of the process.
    unsafe { CLUSTER_EXCEPTION.load(Ordering::Acquire).as_ref() }.expect("registered at module startup")
}

/// Maps a core error to the PHP exception a caller expects: bad arguments are
/// a ValueError, everything else an eZClusterFileHandlerException. Messages
/// come from `Error`'s Display, which never includes a password.
pub fn to_php(error: Error) -> PhpException {
    match error {
        Error::InvalidArgument(m) => PhpException::new(m, 0, ce::value_error()),
        other => PhpException::new(other.to_string(), 0, cluster_exception()),
    }
}

pub fn type_error(message: String) -> PhpException {
    PhpException::new(message, 0, ce::type_error())
}

extern "C" fn startup(_ty: i32, module_number: i32) -> i32 {
    register_exception_class();
    settings::register_ini(module_number);
    0
}

extern "C" fn request_shutdown(_ty: i32, _module_number: i32) -> i32 {
    settings::end_request();
    crate::store::cache::end_request();
    0
}

extern "C" fn info(_module: *mut ModuleEntry) {
    info_table_start!();
    info_table_row!("ezcluster support", "enabled");
    info_table_row!("version", env!("CARGO_PKG_VERSION"));
    info_table_row!("connections opened by this process", crate::store::pool::connections_opened().to_string());
    info_table_end!();
    info_table_start!();
    info_table_header!("Setting", "php.ini entry", "Value");
    match settings::from_ini() {
        Ok(config) => {
            for (def, value) in config.display_rows() {
                info_table_row!(def.key, def.ini, value.as_str());
            }
        }
        Err(e) => info_table_row!("error", "", e.to_string()),
    }
    info_table_end!();
}

#[php_module]
#[php(startup = startup)]
pub fn get_module(module: ModuleBuilder) -> ModuleBuilder {
    module
        .class::<cache::ClusterFileFailure>()
        .class::<handler::ClusterFileHandler>()
        .function(serve::function())
        .request_shutdown_function(request_shutdown)
        .info_function(info)
}
