//! `ezcluster_serve()`: reads the request from the SAPI, runs `store::serve`,
//! and answers through the SAPI (status and headers) and PHP's output layer
//! (the body), so output buffering, HEAD and aborted clients behave as PHP
//! makes them behave for any script.

use std::ffi::{c_char, c_int, CString};
use std::io;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use ext_php_rs::ffi::{php_output_write, zend_is_auto_global};
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, ZendStr};
use ext_php_rs::zend::{bailout, set_header, set_response_code, try_catch, CatchError, ProcessGlobals, SapiGlobals};

use super::settings;
use crate::store::http::Conditions;
use crate::store::serve::{self, Request, Response};
use crate::store::{Config, Error, Result};

extern "C" {
    /// PHP's error log (the `error_log` ini setting, else the SAPI's log).
    fn php_log_err_with_severity(message: *const c_char, syslog_type: c_int);
}

/// `PHP_CONNECTION_ABORTED` in `PG(connection_status)`.
const CONNECTION_ABORTED: i16 = 1;

/// The response as PHP sends it. Every call into the engine runs under
/// `zend_try`: when the client is gone PHP bails out (a longjmp) from inside
/// the write, which must not skip the Rust frames above it, since they hold
/// the connection pool's lock. The bailout is resumed once they are done.
struct Sapi {
    bailed_out: bool,
    /// The client went away: nothing worth logging.
    client_gone: bool,
}

impl Sapi {
    fn engine<R>(&mut self, call: impl FnOnce() -> R) -> Result<R> {
        match try_catch(AssertUnwindSafe(call)) {
            Ok(r) => Ok(r),
            Err(CatchError::Bailout) => {
                self.bailed_out = true;
                self.client_gone = ProcessGlobals::get().connection_status & CONNECTION_ABORTED != 0;
                Err(Error::Sink(io::Error::other("PHP ended the request (the client went away?)")))
            }
            Err(e) => Err(Error::Sink(io::Error::other(e.to_string()))),
        }
    }
}

fn refused(what: impl std::fmt::Display) -> Error {
    Error::Sink(io::Error::other(format!("PHP refused {what}")))
}

impl Response for Sapi {
    fn head(&mut self, status: u16, fields: &[(&str, String)]) -> Result<()> {
        // Output before the call (the CLI, or a stray byte before `<?php`)
        // sent PHP's headers already: the body is all that can still go.
        if SapiGlobals::get().headers_sent != 0 {
            return Ok(());
        }
        self.engine(|| {
            set_response_code(status).map_err(|_| refused(format!("the status {status}")))?;
            for (name, value) in fields {
                set_header(&format!("{name}: {value}")).map_err(|_| refused(format!("the header {name}")))?;
            }
            Ok(())
        })?
    }

    fn body(&mut self, bytes: &[u8]) -> Result<()> {
        // SAFETY: PHP copies or sends the bytes before returning.
        self.engine(|| unsafe { php_output_write(bytes.as_ptr().cast(), bytes.len()) })?;
        // With ignore_user_abort PHP keeps accepting output for nobody.
        if ProcessGlobals::get().connection_status & CONNECTION_ABORTED != 0 {
            self.client_gone = true;
            return Err(Error::Sink(io::Error::other("the client went away")));
        }
        Ok(())
    }
}

/// The request fields serving reads, copied out of `$_SERVER` (which PHP
/// fills from the SAPI on first use).
#[derive(Default)]
struct RequestFields {
    uri: Option<String>,
    if_none_match: Option<String>,
    if_modified_since: Option<String>,
    range: Option<String>,
    if_range: Option<String>,
}

fn request_fields() -> RequestFields {
    // $_SERVER is filled on first use (auto_globals_jit). Asked here, before
    // the globals are borrowed: ProcessGlobals::http_server_vars asks under
    // a shared borrow and may then not see the array it caused.
    let mut name = ZendStr::new("_SERVER", false);
    // SAFETY: a live zend_string for the duration of the call.
    unsafe { zend_is_auto_global(name.as_mut_ptr()) };
    let globals = ProcessGlobals::get();
    let Some(server) = globals.http_server_vars() else { return RequestFields::default() };
    let field = |key: &str| server.get(key).and_then(|z| z.string());
    RequestFields {
        uri: field("REQUEST_URI"),
        if_none_match: field("HTTP_IF_NONE_MATCH"),
        if_modified_since: field("HTTP_IF_MODIFIED_SINCE"),
        range: field("HTTP_RANGE"),
        if_range: field("HTTP_IF_RANGE"),
    }
}

fn log(message: &str) {
    let line = CString::new(format!("ezcluster_serve(): {message}").replace('\0', "?")).expect("NULs replaced");
    // SAFETY: a NUL-terminated string that outlives the call.
    unsafe { php_log_err_with_severity(line.as_ptr(), libc::LOG_ERR) };
}

/// Sends the stored file a request names, with RFC 9110 semantics:
/// conditional requests, ranges, HEAD. `$path` is a URL path (default: the
/// request's `REQUEST_URI`); `$settings` are `[ClusteringSettings]` keys
/// layered over php.ini, for sites whose siteaccesses use different stores.
/// Returns the status sent; failures go to PHP's error log, never to the
/// client.
#[php_function]
#[php(optional = path)]
pub fn ezcluster_serve(path: Option<String>, settings: Option<&ZendHashTable>) -> PhpResult<i64> {
    let config: Result<Arc<Config>> = match settings {
        Some(array) => settings::current_with(settings::pairs(array)?),
        None => settings::current(),
    };
    let fields = request_fields();
    let method = SapiGlobals::get().request_info().request_method().map(str::to_string);
    let path = path.or(fields.uri).unwrap_or_default();
    let request = Request {
        method: method.as_deref(),
        path: &path,
        conditions: Conditions {
            if_none_match: fields.if_none_match.as_deref(),
            if_modified_since: fields.if_modified_since.as_deref(),
            range: fields.range.as_deref(),
            if_range: fields.if_range.as_deref(),
        },
        now: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64),
    };
    let mut out = Sapi { bailed_out: false, client_gone: false };
    let served = match config {
        Ok(config) => serve::serve(&config, &request, &mut out),
        Err(e) => serve::internal_error(&mut out, e),
    };
    match &served.error {
        Some(error) if !out.client_gone => log(&format!("{} for {}: {error}", served.status, path)),
        _ => {}
    }
    if out.bailed_out {
        // SAFETY: every Rust frame of this call has returned or is this one,
        // which owns nothing that needs dropping past this point.
        unsafe { bailout() };
    }
    Ok(i64::from(served.status))
}

/// `ezcluster_serve()`, for the module to register.
pub fn function() -> ext_php_rs::builders::FunctionBuilder<'static> {
    wrap_function!(ezcluster_serve)
}
