//! The Python exception classes the core raises; they are defined in `wsrs.exceptions`.

pyo3::import_exception!(wsrs.exceptions, RemoteProtocolError);
pyo3::import_exception!(wsrs.exceptions, PayloadTooBig);
pyo3::import_exception!(wsrs.exceptions, LocalProtocolError);
