//! Decoding JSON response bodies into the model's types, with the failing field's path.

use serde::de::DeserializeOwned;

use crate::error::{DecodeError, excerpt};

/// Decodes a JSON response body into `T`.
///
/// On failure the error names the JSON path of the field (`orders[2].certificate.id`),
/// its line and column, and quotes the body around it.
///
/// ```
/// use digicert_model::{decode_json, StatusChanges};
///
/// let changes: StatusChanges = decode_json(br#"{"orders":[{"order_id":"265","status":"issued"}]}"#)?;
/// assert_eq!(changes.orders[0].order_id, 265);
///
/// let err = decode_json::<StatusChanges>(br#"{"orders":[{"order_id":"x"}]}"#).unwrap_err();
/// assert!(err.to_string().contains("orders[0].order_id"));
/// # Ok::<(), digicert_model::DecodeError>(())
/// ```
pub fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, DecodeError> {
    // Tracking the path of every field costs time on every body, so decode
    // plainly first and only trace the path of one that fails.
    serde_json::from_slice(body).or_else(|_| decode_with_path(body))
}

/// Decodes again, tracking the path, to say where the body went wrong.
fn decode_with_path<T: DeserializeOwned>(body: &[u8]) -> Result<T, DecodeError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        json_error(body, path, err.into_inner())
    })?;
    deserializer
        .end()
        .map_err(|err| json_error(body, ".".to_owned(), err))?;
    Ok(value)
}

/// Builds a [`DecodeError::Json`] from serde_json's error and the body it read.
fn json_error(body: &[u8], path: String, err: serde_json::Error) -> DecodeError {
    let (line, column) = (err.line(), err.column());
    let mut message = err.to_string();
    // serde_json appends the position, which the error reports in its own fields.
    if let Some(at) = message.rfind(" at line ") {
        message.truncate(at);
    }
    DecodeError::Json {
        path,
        line,
        column,
        message,
        excerpt: excerpt_at(body, line, column),
    }
}

/// The body's text around a 1-based line and column, as a short single-line excerpt.
fn excerpt_at(body: &[u8], line: usize, column: usize) -> String {
    let line_start = body
        .split_inclusive(|&b| b == b'\n')
        .take(line.saturating_sub(1))
        .map(<[u8]>::len)
        .sum::<usize>();
    let at = (line_start + column.saturating_sub(1)).min(body.len());
    let start = at.saturating_sub(20);
    let end = (at + 20).min(body.len());
    excerpt(String::from_utf8_lossy(&body[start..end]).trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StatusChanges;

    #[test]
    fn reports_path_position_and_excerpt() {
        let body = b"{\n  \"orders\": [\n    {\"order_id\": 1, \"status\": \"issued\"},\n    {\"order_id\": \"oops\"}\n  ]\n}";
        let err = decode_json::<StatusChanges>(body).unwrap_err();
        match &err {
            DecodeError::Json {
                path,
                line,
                excerpt,
                ..
            } => {
                assert_eq!(path, "orders[1].order_id");
                assert_eq!(*line, 4);
                assert!(excerpt.contains("oops"), "{excerpt}");
            }
            other => panic!("unexpected error {other:?}"),
        }
        assert!(!err.to_string().contains(" at line 4 column"));
    }

    #[test]
    fn trailing_garbage_is_an_error() {
        let err = decode_json::<StatusChanges>(b"{} <html>").unwrap_err();
        assert!(err.to_string().contains("trailing characters"), "{err}");
    }

    #[test]
    fn empty_and_truncated_bodies_are_errors() {
        assert!(decode_json::<StatusChanges>(b"").is_err());
        assert!(decode_json::<StatusChanges>(b"{\"orders\": [").is_err());
    }
}
