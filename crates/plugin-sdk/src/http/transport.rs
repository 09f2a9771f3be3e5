//! Making a request through `wasi:http/outgoing-handler` and reading the whole response.
//!
//! `wasi:http` resources have parents: a stream must be dropped before its body, a body and the
//! headers before their response. The drops below are explicit to keep that order visible.

use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    Fields, FutureIncomingResponse, HeaderError, IncomingBody, IncomingResponse,
    Method as WasiMethod, OutgoingBody, OutgoingRequest, Scheme as WasiScheme, http_error_code,
};
use wasip2::io::streams::StreamError;

use super::url::{Scheme, Target};
use super::{Error, Method, Response};

/// `output-stream.blocking-write-and-flush` accepts at most 4096 bytes per call.
const WRITE_CHUNK: usize = 4096;
/// How much to ask for per `blocking-read`.
const READ_CHUNK: u64 = 64 * 1024;

/// Sends a request and reads the whole response.
pub(crate) fn send(
    method: Method,
    target: &Target,
    headers: &[(String, String)],
    body: Option<&[u8]>,
) -> Result<Response, Error> {
    let request = OutgoingRequest::new(fields(headers)?);
    let refused = |part: &str| Error::InvalidRequest(format!("the host refused the {part}"));
    request
        .set_method(&wasi_method(method))
        .map_err(|()| refused("method"))?;
    let scheme = match target.scheme {
        Scheme::Http => WasiScheme::Http,
        Scheme::Https => WasiScheme::Https,
    };
    request
        .set_scheme(Some(&scheme))
        .map_err(|()| refused("scheme"))?;
    request
        .set_authority(Some(&target.authority))
        .map_err(|()| refused("authority"))?;
    request
        .set_path_with_query(Some(&target.path_with_query))
        .map_err(|()| refused("path"))?;
    // The body resource must be taken before `handle` consumes the request; it is written after.
    let outgoing_body = match body {
        Some(_) => Some(request.body().map_err(|()| refused("body"))?),
        None => None,
    };
    let future = outgoing_handler::handle(request, None).map_err(|code| Error::from_code(&code))?;
    let written = match (outgoing_body, body) {
        (Some(outgoing_body), Some(bytes)) => write_body(outgoing_body, bytes),
        _ => Ok(()),
    };
    // When the host refused the request, writing its body fails too: report the refusal.
    let response = wait(&future)?;
    drop(future);
    written?;
    read(response)
}

fn wasi_method(method: Method) -> WasiMethod {
    match method {
        Method::Get => WasiMethod::Get,
        Method::Head => WasiMethod::Head,
        Method::Post => WasiMethod::Post,
        Method::Put => WasiMethod::Put,
        Method::Patch => WasiMethod::Patch,
        Method::Delete => WasiMethod::Delete,
    }
}

/// Builds the header fields one by one, so that an error names the header.
fn fields(headers: &[(String, String)]) -> Result<Fields, Error> {
    let fields = Fields::new();
    for (name, value) in headers {
        fields.append(name, value.as_bytes()).map_err(|err| {
            let why = match err {
                HeaderError::InvalidSyntax => "is not a valid header",
                HeaderError::Forbidden => "is a header the host forbids plugins to set",
                HeaderError::Immutable => "cannot be set on immutable headers",
            };
            Error::InvalidRequest(format!("`{name}` {why}"))
        })?;
    }
    Ok(fields)
}

fn write_body(body: OutgoingBody, bytes: &[u8]) -> Result<(), Error> {
    let stream = body
        .write()
        .map_err(|()| Error::Transport("the request body was already taken".to_owned()))?;
    let written = bytes
        .chunks(WRITE_CHUNK)
        .try_for_each(|chunk| stream.blocking_write_and_flush(chunk))
        .map_err(|err| stream_error(err, "sending the request body"));
    drop(stream);
    written?;
    OutgoingBody::finish(body, None).map_err(|code| Error::from_code(&code))
}

fn wait(future: &FutureIncomingResponse) -> Result<IncomingResponse, Error> {
    let pollable = future.subscribe();
    let result = loop {
        match future.get() {
            Some(result) => break result,
            None => pollable.block(),
        }
    };
    drop(pollable);
    match result {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(code)) => Err(Error::from_code(&code)),
        Err(()) => Err(Error::Transport(
            "the response was already taken".to_owned(),
        )),
    }
}

fn read(response: IncomingResponse) -> Result<Response, Error> {
    let status = response.status();
    let header_fields = response.headers();
    let headers = header_fields
        .entries()
        .into_iter()
        .map(|(name, value)| (name, String::from_utf8_lossy(&value).into_owned()))
        .collect();
    drop(header_fields);
    let body = response
        .consume()
        .map_err(|()| Error::Transport("the response body was already taken".to_owned()))?;
    let stream = body
        .stream()
        .map_err(|()| Error::Transport("the response body stream was already taken".to_owned()))?;
    let mut bytes = Vec::new();
    let read = loop {
        match stream.blocking_read(READ_CHUNK) {
            Ok(chunk) => bytes.extend_from_slice(&chunk),
            Err(StreamError::Closed) => break Ok(()),
            Err(err) => break Err(stream_error(err, "reading the response body")),
        }
    };
    drop(stream);
    drop(IncomingBody::finish(body));
    drop(response);
    read?;
    Ok(Response {
        status,
        headers,
        body: bytes,
    })
}

/// Classifies a stream error: the host attaches a `wasi:http` error code (a timeout, a size
/// limit) to the stream's error when it has one.
fn stream_error(err: StreamError, doing: &str) -> Error {
    match err {
        StreamError::Closed => Error::Transport(format!("the connection closed while {doing}")),
        StreamError::LastOperationFailed(io_error) => match http_error_code(&io_error) {
            Some(code) => Error::from_code(&code),
            None => Error::Transport(format!("{doing}: {}", io_error.to_debug_string())),
        },
    }
}
