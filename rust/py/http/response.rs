//! `ResponseHead`, `parse_response_head` and the head encoders.
//!
//! The encoders validate and measure first (`HeadPlan`), then write into one new `bytes` of the
//! exact size: one allocation per call, body included for `encode_response`.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};

use super::limits::{limits_or_default, PyHttpLimits};
use super::request::version_str;
use super::text::{cached_list, get_all_fields, get_field, latin1_str};
use super::{encode_error, http_error, with_bytes};
use crate::http::{fixed_fields, fixed_plan, EncodeError, FixedFraming, HeadPlan, ResponseHead};

/// A parsed status line and header section (the client side of a handshake).
#[pyclass(name = "ResponseHead", module = "wsrs._wsrs")]
pub(crate) struct PyResponseHead {
    head: ResponseHead,
    headers: Option<Py<PyList>>,
}

#[pymethods]
impl PyResponseHead {
    #[classattr]
    fn __match_args__() -> (&'static str, &'static str, &'static str) {
        ("status", "reason", "headers")
    }

    #[getter]
    fn status(&self) -> u16 {
        self.head.status()
    }

    #[getter]
    fn reason<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        latin1_str(py, self.head.reason(), false)
    }

    #[getter]
    fn version<'py>(&self, py: Python<'py>) -> Bound<'py, PyString> {
        version_str(py, self.head.version())
    }

    #[getter]
    fn headers<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        cached_list(py, &mut self.headers, self.head.fields())
    }

    #[pyo3(signature = (name, default = None))]
    fn get<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        default: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        get_field(py, self.head.fields(), name, default)
    }

    fn get_all<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyList>> {
        get_all_fields(py, self.head.fields(), name)
    }

    fn __repr__(&self) -> String {
        format!(
            "<ResponseHead HTTP/{} {}>",
            self.head.version().as_str(),
            self.head.status()
        )
    }
}

/// The response head at the start of `data` and its length, or None while incomplete.
#[pyfunction]
#[pyo3(signature = (data, limits = None))]
pub(crate) fn parse_response_head<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    limits: Option<&Bound<'py, PyHttpLimits>>,
) -> PyResult<Option<(Bound<'py, PyResponseHead>, usize)>> {
    let limits = limits_or_default(limits);
    let parsed = with_bytes(data, |bytes| {
        crate::http::parse_response_head(bytes, &limits)
    })?;
    match parsed.map_err(http_error)? {
        None => Ok(None),
        Some((head, len)) => {
            let head = Bound::new(
                py,
                PyResponseHead {
                    head,
                    headers: None,
                },
            )?;
            Ok(Some((head, len)))
        }
    }
}

/// The caller's `(name, value)` pairs, kept alive while their text is borrowed.
pub(super) type OwnedFields<'py> = Vec<(Bound<'py, PyString>, Bound<'py, PyString>)>;

/// Reads a sequence of `(str, str)` pairs.
pub(super) fn collect_fields<'py>(headers: &Bound<'py, PyAny>) -> PyResult<OwnedFields<'py>> {
    let mut out = Vec::with_capacity(headers.len().unwrap_or(0));
    for item in headers.try_iter()? {
        let item = item?;
        let pair = item.cast::<PyTuple>()?;
        out.push(pair.extract::<(Bound<'py, PyString>, Bound<'py, PyString>)>()?);
    }
    Ok(out)
}

/// The text of each pair; a string with a lone surrogate cannot be latin-1 and is refused.
pub(super) fn borrow_fields<'a>(owned: &'a OwnedFields<'_>) -> PyResult<Vec<(&'a str, &'a str)>> {
    owned
        .iter()
        .map(|(name, value)| match (name.to_str(), value.to_str()) {
            (Ok(name), Ok(value)) => Ok((name, value)),
            _ => Err(encode_error(EncodeError::NotLatin1)),
        })
        .collect()
}

fn status_code(status: i64) -> PyResult<u16> {
    u16::try_from(status)
        .ok()
        .filter(|s| (100..=999).contains(s))
        .ok_or_else(|| encode_error(EncodeError::InvalidStatus))
}

fn write_plan<'py>(
    py: Python<'py>,
    plan: &HeadPlan<'_>,
    body: &[u8],
) -> PyResult<Bound<'py, PyBytes>> {
    PyBytes::new_with(py, plan.len() + body.len(), |out| {
        let (head, rest) = out.split_at_mut(plan.len());
        plan.write(head);
        rest.copy_from_slice(body);
        Ok(())
    })
}

/// `HTTP/1.1 <status> <reason>` and the fields; `LocalProtocolError` on CR, LF or NUL.
#[pyfunction]
#[pyo3(signature = (status, headers, reason = None))]
pub(crate) fn encode_response_head<'py>(
    py: Python<'py>,
    status: i64,
    headers: &Bound<'py, PyAny>,
    reason: Option<&str>,
) -> PyResult<Bound<'py, PyBytes>> {
    let owned = collect_fields(headers)?;
    let fields = borrow_fields(&owned)?;
    let plan = HeadPlan::response(status_code(status)?, reason, &fields).map_err(encode_error)?;
    write_plan(py, &plan, b"")
}

/// A whole response with `Content-Length` added, in one allocation.
#[pyfunction]
pub(crate) fn encode_response<'py>(
    py: Python<'py>,
    status: i64,
    headers: &Bound<'py, PyAny>,
    body: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let owned = collect_fields(headers)?;
    let fields = borrow_fields(&owned)?;
    let status = status_code(status)?;
    with_bytes(body, |body| {
        let plan = HeadPlan::response(status, None, &fields)
            .and_then(|plan| plan.with_content_length(body.len()))
            .map_err(encode_error)?;
        write_plan(py, &plan, body)
    })?
}

/// A whole response as the server sends it: the caller's fields without framing ones, `Date`
/// unless given, `Connection` as the request needs, `Content-Length`, and the body unless the
/// status or a HEAD request has none; and whether the caller's fields close the connection.
#[pyfunction]
pub(crate) fn encode_fixed_response<'py>(
    status: i64,
    headers: &Bound<'py, PyAny>,
    body: &Bound<'py, PyAny>,
    date: &str,
    keep_alive: bool,
    http10: bool,
    head: bool,
) -> PyResult<(Bound<'py, PyBytes>, bool)> {
    let py = headers.py();
    let owned = collect_fields(headers)?;
    let given = borrow_fields(&owned)?;
    let framing = FixedFraming {
        date,
        keep_alive,
        http10,
    };
    let fixed = fixed_fields(&given, framing);
    let status = status_code(status)?;
    with_bytes(body, |body| {
        let (plan, with_body) =
            fixed_plan(status, &fixed, body.len(), head).map_err(encode_error)?;
        let encoded = write_plan(py, &plan, if with_body { body } else { b"" })?;
        Ok((encoded, fixed.closes))
    })?
}

/// `<method> <target> HTTP/1.1` and the fields (the client side of a handshake).
#[pyfunction]
pub(crate) fn encode_request_head<'py>(
    py: Python<'py>,
    method: &str,
    target: &str,
    headers: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let owned = collect_fields(headers)?;
    let fields = borrow_fields(&owned)?;
    let plan = HeadPlan::request(method, target, &fields).map_err(encode_error)?;
    write_plan(py, &plan, b"")
}
