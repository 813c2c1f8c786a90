//! From a frame's bytes to a request: checked before anything is built from them, the
//! memory decoding will take reserved first, and big frames handled on the blocking
//! threads so that the runtime's few threads keep answering everyone else.

use std::mem::size_of;

use resident_protocol::frame::{self, FrameError};
use resident_protocol::scan::{self, Shape};
use resident_protocol::{error_code, Value, VALUE_DEPTH_MAX};

use crate::error::ServerError;
use crate::net::budget::{Budget, Held};
use crate::net::connection::Body;
use crate::query::parse::FILTER_DEPTH_MAX;

/// Deepest nesting of a request, the frame's map being level 1: a commit holds a value
/// six levels down (streams, a stream, events, an event, its data), a query's filter
/// takes two levels per `and`/`or` group below `where`, and a `register` a default five
/// down. Deeper frames are refused before they are decoded.
pub const REQUEST_DEPTH_MAX: usize = max(6 + VALUE_DEPTH_MAX, 2 * FILTER_DEPTH_MAX + 4);

const fn max(a: usize, b: usize) -> usize {
    if a > b {
        a
    } else {
        b
    }
}

/// What decoding costs per data item: a value, with room for its vector's doubling.
const DECODED_BYTES_PER_ITEM: u64 = 2 * size_of::<Value>() as u64;

/// Frames from this size on are scanned and decoded on a blocking thread: at tens of
/// nanoseconds per byte they would otherwise hold a runtime thread for milliseconds.
const BLOCKING_BYTES_MIN: usize = 64 * 1024;

/// A decoded request, holding its share of the budget until it is dropped.
pub struct Request {
    pub value: Value,
    _held: Held,
}

/// A frame refused after it was read whole: answered (with its id when it had one);
/// the connection goes on unless `close`, when the bytes were no request at all.
pub struct Refusal {
    pub id: Option<u64>,
    pub error: ServerError,
    pub close: bool,
}

/// Checks `body`, reserves what decoding it takes, and decodes it.
pub async fn decode(body: Body, budget: &Budget) -> Result<Request, Refusal> {
    let Body {
        bytes,
        mut held,
        mut deadline,
    } = body;
    let len = bytes.len() as u64;
    let (bytes, shape) = off_runtime(bytes, |b| scan::scan(b, REQUEST_DEPTH_MAX)).await?;
    let shape = shape.map_err(refusal)?;
    // Added to what the bytes hold, and given back with it once the request is answered:
    // one count per request keeps the common case cheap.
    budget
        .take(&mut held, decoded_bytes(&shape, len), &mut deadline)
        .await
        .map_err(|short| Refusal {
            id: shape.id,
            error: short.error(&format!("a request of {len} bytes")),
            close: false,
        })?;
    let (bytes, value) = off_runtime(bytes, frame::decode_body).await?;
    drop(bytes);
    Ok(Request {
        value: value.map_err(refusal)?,
        _held: held,
    })
}

/// About what decoding a frame of `len` bytes with `shape` builds: its items, and its
/// text, read into strings that may double as they grow.
fn decoded_bytes(shape: &Shape, len: u64) -> u64 {
    shape
        .items
        .saturating_mul(DECODED_BYTES_PER_ITEM)
        .saturating_add(2 * len)
}

/// Runs `work` on `bytes`, on a blocking thread when they are many; hands them back.
async fn off_runtime<T: Send + 'static>(
    bytes: Vec<u8>,
    work: fn(&[u8]) -> T,
) -> Result<(Vec<u8>, T), Refusal> {
    if bytes.len() < BLOCKING_BYTES_MIN {
        let result = work(&bytes);
        return Ok((bytes, result));
    }
    tokio::task::spawn_blocking(move || {
        let result = work(&bytes);
        (bytes, result)
    })
    .await
    .map_err(|e| Refusal {
        id: None,
        error: ServerError::internal(format!("decoding a request failed: {e}")),
        close: true,
    })
}

fn refusal(e: FrameError) -> Refusal {
    match e {
        FrameError::TooDeep { id, .. } => Refusal {
            id,
            error: ServerError::bad_request(format!(
                "{e}; a stored value may nest at most {VALUE_DEPTH_MAX} levels"
            )),
            close: false,
        },
        other => Refusal {
            id: None,
            error: ServerError::new(error_code::MALFORMED, other.to_string()),
            close: true,
        },
    }
}
