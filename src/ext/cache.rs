//! processCache's PHP side: calling the retrieve and generate callbacks,
//! reading what they return (eZClusterFileFailure, the generate array), and
//! the eZClusterFileFailure class. The protocol lives in `store::cache`.

use ext_php_rs::convert::IntoZval;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendCallable, ZendClassObject, ZendHashTable, ZendStr, Zval};
use ext_php_rs::zend::ExecutorGlobals;

use super::{to_php, type_error};
use crate::store::cache::{CacheData, Caches, Generated, Generator, Processed, Retrieved, Validity};
use crate::store::{Config, Error};

/// eZ Publish's failure object: returned by a retrieve callback to refuse the
/// cached data, and by processCache when the caller must generate.
#[php_class]
#[php(name = "eZClusterFileFailure")]
pub struct ClusterFileFailure {
    errno: i64,
    message: Option<String>,
}

#[php_impl]
impl ClusterFileFailure {
    /// The file is expired: generate it.
    const FILE_EXPIRED: i64 = 1;
    /// The caller must generate the content and call storeCache().
    const FILE_CONTENT_GENERATE: i64 = 2;
    /// The data could not be retrieved: generate it, and do not store it.
    const FILE_RETRIEVAL_FAILED: i64 = 3;

    #[php(optional = message)]
    pub fn __construct(errno: i64, message: Option<&Zval>) -> Self {
        ClusterFileFailure { errno, message: message.and_then(|m| m.str()).map(str::to_string) }
    }

    pub fn errno(&self) -> i64 {
        self.errno
    }

    /// The message, or false when there is none.
    pub fn message(&self) -> Zval {
        let mut z = Zval::new();
        match &self.message {
            Some(m) => z.set_zend_string(ZendStr::new(m, false)),
            None => z.set_bool(false),
        }
        z
    }
}

fn failure_zval(errno: i64, message: &str) -> PhpResult<Zval> {
    let failure = ClusterFileFailure { errno, message: Some(message.to_string()) };
    Ok(ZendClassObject::new(failure).into_zval(false)?)
}

/// The errno of an eZClusterFileFailure, `None` for any other value.
pub fn failure_errno(value: &Zval) -> Option<i64> {
    let object = value.object()?;
    ZendClassObject::<ClusterFileFailure>::from_zend_obj(object).map(|f| f.errno)
}

/// Calls a PHP callable; a thrown exception stays pending for PHP and comes
/// back as `Error::Callback`.
fn call(callable: &ZendCallable, args: Vec<&dyn ext_php_rs::convert::IntoZvalDyn>) -> crate::store::Result<Zval> {
    callable.try_call(args).map_err(|e| Error::Callback(e.to_string()))
}

/// null/false/negative mean "no limit", as in eZ Publish.
fn optional_seconds(value: Option<&Zval>, arg: &str) -> PhpResult<Option<i64>> {
    let Some(z) = value.filter(|z| !z.is_null() && !z.is_false()) else { return Ok(None) };
    let n = z.long().or_else(|| z.double().map(|d| d as i64)).or_else(|| z.str().and_then(|s| s.trim().parse().ok()));
    let n = n.ok_or_else(|| type_error(format!("{arg} must be of type ?int")))?;
    Ok((n >= 0).then_some(n))
}

fn callable<'a>(value: &'a Zval, arg: &str) -> PhpResult<ZendCallable<'a>> {
    if !value.is_callable() {
        return Err(type_error(format!("{arg} must be a valid callback, null or false")));
    }
    ZendCallable::new(value).map_err(|_| type_error(format!("{arg} must be a valid callback, null or false")))
}

/// What a generate callback (or storeCache's argument) returns: an array
/// with `content`, `binarydata`, `scope`, `datatype`, `store`, or the binary
/// data itself. Returns the value to hand back (content if set, else the
/// binary data), and the data to store, `None` when there is neither.
fn generated(value: &Zval) -> PhpResult<Generated<Zval>> {
    let field = |name: &str| value.array().and_then(|a| a.get(name)).filter(|z| !z.is_null());
    let (content, binary) = match value.array() {
        Some(_) => (field("content"), field("binarydata")),
        None => (None, Some(value).filter(|z| !z.is_null())),
    };
    let Some(source) = binary.or(content) else {
        return Ok(Generated { result: Zval::new(), data: None });
    };
    let bytes = match binary {
        Some(b) => b
            .zend_str()
            .map(|s| s.as_bytes().to_vec())
            .or_else(|| b.coerce_to_string().map(String::into_bytes))
            .ok_or_else(|| type_error("storeCache(): binarydata must be a string".into()))?,
        // eZ stores content as a PHP file that returns it.
        None => {
            let exported = ZendCallable::try_from_name("var_export")
                .and_then(|f| f.try_call(vec![source, &true]))
                .map_err(|e| PhpException::from(e.to_string()))?;
            let mut php = b"<?php\n\treturn ".to_vec();
            php.extend_from_slice(exported.zend_str().map(|s| s.as_bytes()).unwrap_or_default());
            php.extend_from_slice(b";\n?>\n");
            php
        }
    };
    let text = |name: &str| field(name).and_then(|z| z.coerce_to_string()).filter(|s| !s.is_empty());
    let data = CacheData {
        binary: bytes,
        scope: text("scope"),
        datatype: text("datatype"),
        store: field("store").is_none_or(|z| z.coerce_to_bool()),
    };
    Ok(Generated { result: content.unwrap_or(source).shallow_clone(), data: Some(data) })
}

/// Turns a core outcome into processCache's return value.
fn processed(outcome: crate::store::Result<Processed<Zval>>) -> PhpResult<Zval> {
    match outcome {
        Ok(Processed::Value(v)) => Ok(v),
        Ok(Processed::GenerateManually) => {
            failure_zval(2, "Manual generation of file data is required, calling storeCache is required")
        }
        Ok(Processed::Nothing) => Ok(Zval::new()),
        // The callback's exception is pending: PHP throws it when we return.
        Err(Error::Callback(_)) if ExecutorGlobals::has_exception() => Ok(Zval::new()),
        Err(e) => Err(to_php(e)),
    }
}

/// `$extraData` with `noCache` set, as eZ hands it to a generate callback
/// whose result must not be stored.
fn with_no_cache(extra: Option<&Zval>) -> PhpResult<Option<Zval>> {
    let mut array = match extra.filter(|z| !z.is_null()) {
        None => ZendHashTable::new(),
        Some(z) => match z.array() {
            Some(a) => a.to_owned(),
            None => return Ok(None), // not an array: passed on unchanged
        },
    };
    array.insert("noCache", true).map_err(PhpException::from)?;
    let mut z = Zval::new();
    z.set_hashtable(array);
    Ok(Some(z))
}

pub fn process_cache(
    config: &Config,
    path: &str,
    retrieve: &Zval,
    generate: Option<&Zval>,
    ttl: Option<&Zval>,
    expiry: Option<&Zval>,
    extra: Option<&Zval>,
) -> PhpResult<Zval> {
    let validity = Validity {
        ttl: optional_seconds(ttl, "processCache(): Argument #3 ($ttl)")?,
        expiry: optional_seconds(expiry, "processCache(): Argument #4 ($expiry)")?,
    };
    let extra = extra.filter(|z| !z.is_null());
    let retrieve_fn = match retrieve.is_null() {
        true => None,
        false => Some(callable(retrieve, "processCache(): Argument #1 ($retrieveCallback)")?),
    };
    let generate_fn = match generate {
        Some(g) if !g.is_null() && !g.is_false() => {
            Some(callable(g, "processCache(): Argument #2 ($generateCallback)")?)
        }
        _ => None,
    };
    let mut retrieve_call = |file: &str, mtime: i64| -> crate::store::Result<Retrieved<Zval>> {
        let f = retrieve_fn.as_ref().expect("only called with a retrieve callback");
        let value = match extra {
            Some(x) => call(f, vec![&file, &mtime, x])?,
            None => call(f, vec![&file, &mtime])?,
        };
        Ok(match failure_errno(&value) {
            Some(errno) => Retrieved::Failure(errno),
            None => Retrieved::Value(value),
        })
    };
    let mut generate_call = |file: &str, no_cache: bool| -> crate::store::Result<Generated<Zval>> {
        let f = generate_fn.as_ref().expect("only called with a generate callback");
        let marked = if no_cache { with_no_cache(extra).map_err(|e| Error::Callback(format!("{e:?}")))? } else { None };
        let value = match marked.as_ref().or(extra) {
            Some(x) => call(f, vec![&file, x])?,
            None => call(f, vec![&file])?,
        };
        generated(&value).map_err(|e| Error::Callback(format!("{e:?}")))
    };
    let generator = match (&generate_fn, generate) {
        (Some(_), _) => Generator::Call(&mut generate_call),
        (None, Some(g)) if g.is_false() => Generator::Disabled,
        (None, _) => Generator::Deferred,
    };
    let retrieve = retrieve_fn.is_some().then_some(&mut retrieve_call as &mut _);
    processed(Caches::new(config).process_cache(path, retrieve, generator, validity))
}

/// eZ's storeCache: stores `$fileData` if this process holds the lock of
/// `path` (and it was not taken over), releases the lock, and returns the
/// content (or binary data); null when `$fileData` has neither.
pub fn store_cache(config: &Config, path: &str, file_data: &Zval) -> PhpResult<Zval> {
    let caches = Caches::new(config);
    let generated = generated(file_data)?;
    let Some(data) = generated.data else {
        caches.abort_generation(path).map_err(to_php)?;
        return Ok(Zval::new());
    };
    if data.store {
        caches.store_cache(path, &data).map_err(to_php)?;
    } else {
        caches.abort_generation(path).map_err(to_php)?;
    }
    Ok(generated.result)
}

/// startCacheGeneration's answer: true, or the seconds until the other
/// generator's lock times out.
pub fn start_generation(config: &Config, path: &str) -> PhpResult<Zval> {
    let mut z = Zval::new();
    match Caches::new(config).start_generation(path).map_err(to_php)? {
        crate::store::cache::Start::Acquired => z.set_bool(true),
        crate::store::cache::Start::Busy { remaining } => z.set_long(remaining),
    }
    Ok(z)
}
