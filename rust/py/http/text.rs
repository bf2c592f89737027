//! Turning head bytes into Python strings cheaply: common names and methods come from a cache of
//! interned strings, values are latin-1 decoded, lists are built at their final size.

use std::cell::RefCell;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};

use crate::http::headers::latin1_to_string;
use crate::http::Fields;

/// Field names browsers, curl and HTTP libraries send, in the cases they send them.
const COMMON_NAMES: [&str; 48] = [
    "Host",
    "User-Agent",
    "Accept",
    "Accept-Language",
    "Accept-Encoding",
    "Connection",
    "Cookie",
    "Content-Type",
    "Content-Length",
    "Transfer-Encoding",
    "Upgrade",
    "Cache-Control",
    "Pragma",
    "Referer",
    "Origin",
    "Authorization",
    "If-None-Match",
    "If-Modified-Since",
    "Range",
    "Expect",
    "Sec-WebSocket-Key",
    "Sec-WebSocket-Version",
    "Sec-WebSocket-Extensions",
    "Sec-WebSocket-Protocol",
    "Sec-Fetch-Dest",
    "Sec-Fetch-Mode",
    "Sec-Fetch-Site",
    "Sec-Fetch-User",
    "Upgrade-Insecure-Requests",
    "Priority",
    "DNT",
    "X-Forwarded-For",
    "X-Forwarded-Proto",
    "X-Real-IP",
    "X-Requested-With",
    "host",
    "user-agent",
    "accept",
    "accept-language",
    "accept-encoding",
    "connection",
    "cookie",
    "content-type",
    "content-length",
    "transfer-encoding",
    "upgrade",
    "authorization",
    "origin",
];

const COMMON_METHODS: [&str; 9] = [
    "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE",
];

static NAMES: PyOnceLock<Vec<Py<PyString>>> = PyOnceLock::new();
static METHODS: PyOnceLock<Vec<Py<PyString>>> = PyOnceLock::new();

/// The cached string for an ASCII `token` found in `table`, else a new one.
fn cached<'py>(
    py: Python<'py>,
    cache: &PyOnceLock<Vec<Py<PyString>>>,
    table: &[&str],
    token: &[u8],
) -> PyResult<Bound<'py, PyString>> {
    let first = token.first();
    let found = table.iter().position(|t| {
        t.len() == token.len() && t.as_bytes().first() == first && t.as_bytes() == token
    });
    match found {
        Some(i) => {
            let strings = cache.get_or_init(py, || {
                table
                    .iter()
                    .map(|t| PyString::intern(py, t).unbind())
                    .collect()
            });
            Ok(strings[i].bind(py).clone())
        }
        None => PyString::from_bytes(py, token),
    }
}

/// A field name (a token, so ASCII).
pub(super) fn name_str<'py>(py: Python<'py>, name: &[u8]) -> PyResult<Bound<'py, PyString>> {
    cached(py, &NAMES, &COMMON_NAMES, name)
}

/// A method (a token, so ASCII).
pub(super) fn method_str<'py>(py: Python<'py>, method: &str) -> PyResult<Bound<'py, PyString>> {
    cached(py, &METHODS, &COMMON_METHODS, method.as_bytes())
}

/// Bytes decoded as latin-1. When `ascii` says the caller knows they are ASCII (or they are),
/// `CPython` decodes them in one pass on its ASCII path.
pub(super) fn latin1_str<'py>(
    py: Python<'py>,
    bytes: &[u8],
    ascii: bool,
) -> PyResult<Bound<'py, PyString>> {
    if ascii || bytes.is_ascii() {
        return PyString::from_bytes(py, bytes);
    }
    Ok(PyString::new(py, &latin1_to_string(bytes)))
}

/// `[(name, value), ...]` for every field.
pub(super) fn fields_list<'py>(py: Python<'py>, fields: &Fields) -> PyResult<Bound<'py, PyList>> {
    let ascii = fields.is_ascii();
    let mut items: Vec<Bound<'py, PyTuple>> = Vec::with_capacity(fields.len());
    for i in 0..fields.len() {
        let name = name_str(py, fields.name_bytes(i))?;
        let value = latin1_str(py, fields.value(i), ascii)?;
        items.push((name, value).into_pyobject(py)?);
    }
    PyList::new(py, items)
}

static LOWER_NAMES: PyOnceLock<Vec<Py<PyBytes>>> = PyOnceLock::new();

/// A field name lowercased, as bytes: the common names are shared objects.
fn lower_name_bytes<'py>(py: Python<'py>, name: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    let found = COMMON_NAMES
        .iter()
        .position(|t| t.len() == name.len() && t.as_bytes().eq_ignore_ascii_case(name));
    if let Some(i) = found {
        let names = LOWER_NAMES.get_or_init(py, || {
            COMMON_NAMES
                .iter()
                .map(|t| PyBytes::new(py, t.to_ascii_lowercase().as_bytes()).unbind())
                .collect()
        });
        return Ok(names[i].bind(py).clone());
    }
    PyBytes::new_with(py, name.len(), |out| {
        for (to, from) in out.iter_mut().zip(name) {
            *to = from.to_ascii_lowercase();
        }
        Ok(())
    })
}

/// `[(name, value), ...]` as byte strings, names lowercased (the header list of an ASGI scope).
pub(super) fn asgi_fields_list<'py>(
    py: Python<'py>,
    fields: &Fields,
) -> PyResult<Bound<'py, PyList>> {
    let mut items: Vec<Bound<'py, PyTuple>> = Vec::with_capacity(fields.len());
    for i in 0..fields.len() {
        let name = lower_name_bytes(py, fields.name_bytes(i))?;
        let value = PyBytes::new(py, fields.value(i));
        items.push((name, value).into_pyobject(py)?);
    }
    PyList::new(py, items)
}

/// The header list of `fields`, built on first use and kept (in a plain `Option`: `PyOnceLock`
/// would release and retake the GIL on every first use).
pub(super) fn cached_list<'py>(
    py: Python<'py>,
    cell: &mut Option<Py<PyList>>,
    fields: &Fields,
) -> PyResult<Bound<'py, PyList>> {
    if let Some(list) = cell {
        return Ok(list.bind(py).clone());
    }
    let list = fields_list(py, fields)?;
    *cell = Some(list.clone().unbind());
    Ok(list)
}

/// The `(name, value)` tuples of the previous request on a connection, by position, with the
/// field line each came from. Clients send most field lines of consecutive requests byte for
/// byte again (HPACK exists because of it), and a tuple of two strings is immutable, so an
/// identical line at the same position reuses the tuple instead of building three objects.
/// Holds at most one head's fields, so it is bounded by `max_head_size`.
///
/// A line this connection has not sent before is looked up in the lines of this thread's
/// other connections ([`SHARED_LINES`]): clients of one kind send the same lines in the same
/// order (`Upgrade: websocket`, their `User-Agent`), and each WebSocket session keeps its
/// handshake's header list for its whole life, so sharing them makes every idle session
/// smaller.
#[derive(Default)]
pub(super) struct FieldReuse {
    entries: Vec<(Vec<u8>, Py<PyTuple>)>,
}

/// Positions of [`SHARED_LINES`]: lines further down a head are not shared.
const SHARED_POSITIONS: usize = 32;

/// Longer lines are not shared (they are mostly cookies and tokens, which differ anyway).
const SHARED_LINE_MAX: usize = 256;

thread_local! {
    /// The last line seen at each position by any connection of this thread, with its tuple:
    /// at most `SHARED_POSITIONS` lines of `SHARED_LINE_MAX` bytes.
    static SHARED_LINES: RefCell<Vec<(Vec<u8>, Py<PyTuple>)>> = const {
        RefCell::new(Vec::new())
    };
}

/// Stores `name ":" value` in `line` (reusing its allocation).
fn set_line(line: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    line.clear();
    line.extend_from_slice(name);
    line.push(b':');
    line.extend_from_slice(value);
}

/// Puts `entry` at `position` of `entries`, which holds at least `position` entries.
fn put_entry(
    entries: &mut Vec<(Vec<u8>, Py<PyTuple>)>,
    position: usize,
    name: &[u8],
    value: &[u8],
    tuple: Py<PyTuple>,
) {
    let mut line = entries
        .get_mut(position)
        .map(|(line, _)| std::mem::take(line))
        .unwrap_or_default();
    set_line(&mut line, name, value);
    if position < entries.len() {
        entries[position] = (line, tuple);
    } else {
        entries.push((line, tuple));
    }
}

/// The tuple another connection of this thread made for this line at `position`, if any.
fn shared_tuple<'py>(
    py: Python<'py>,
    position: usize,
    name: &[u8],
    value: &[u8],
) -> Option<Bound<'py, PyTuple>> {
    SHARED_LINES.with(|shared| {
        let shared = shared.borrow();
        let (line, tuple) = shared.get(position)?;
        is_line(line, name, value).then(|| tuple.bind(py).clone())
    })
}

/// Offers a newly made tuple to the other connections of this thread.
fn share_tuple(position: usize, name: &[u8], value: &[u8], tuple: &Bound<'_, PyTuple>) {
    if position >= SHARED_POSITIONS || name.len() + 1 + value.len() > SHARED_LINE_MAX {
        return;
    }
    SHARED_LINES.with(|shared| {
        let mut shared = shared.borrow_mut();
        // Positions fill in order: a head never skips one, so `position <= len`.
        if position <= shared.len() {
            put_entry(&mut shared, position, name, value, tuple.clone().unbind());
        }
    });
}

impl FieldReuse {
    /// `[(name, value), ...]` for every field, reusing the previous head's identical lines,
    /// then those of the thread's other connections.
    pub(super) fn list<'py>(
        &mut self,
        py: Python<'py>,
        fields: &Fields,
    ) -> PyResult<Bound<'py, PyList>> {
        let ascii = fields.is_ascii();
        let mut items: Vec<Bound<'py, PyTuple>> = Vec::with_capacity(fields.len());
        for i in 0..fields.len() {
            let (name, value) = (fields.name_bytes(i), fields.value(i));
            if let Some((line, tuple)) = self.entries.get(i) {
                if is_line(line, name, value) {
                    items.push(tuple.bind(py).clone());
                    continue;
                }
            }
            let tuple = if let Some(tuple) = shared_tuple(py, i, name, value) {
                tuple
            } else {
                let tuple =
                    (name_str(py, name)?, latin1_str(py, value, ascii)?).into_pyobject(py)?;
                share_tuple(i, name, value, &tuple);
                tuple
            };
            put_entry(&mut self.entries, i, name, value, tuple.clone().unbind());
            items.push(tuple);
        }
        self.entries.truncate(fields.len());
        PyList::new(py, items)
    }
}

/// Whether `line` is `name ":" value` (a name is a token, so the first colon ends it).
fn is_line(line: &[u8], name: &[u8], value: &[u8]) -> bool {
    line.len() == name.len() + 1 + value.len()
        && line.starts_with(name)
        && line[name.len()] == b':'
        && line.ends_with(value)
}

/// The first value of `name` (case-insensitive), or `default`.
pub(super) fn get_field<'py>(
    py: Python<'py>,
    fields: &Fields,
    name: &str,
    default: Option<Bound<'py, PyAny>>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    match fields.get(name) {
        Some(value) => latin1_str(py, value, fields.is_ascii()).map(|s| Some(s.into_any())),
        None => Ok(default),
    }
}

/// Every value of `name` (case-insensitive).
pub(super) fn get_all_fields<'py>(
    py: Python<'py>,
    fields: &Fields,
    name: &str,
) -> PyResult<Bound<'py, PyList>> {
    let ascii = fields.is_ascii();
    let values = fields.get_all(name).map(|v| latin1_str(py, v, ascii));
    PyList::new(py, values.collect::<PyResult<Vec<_>>>()?)
}
