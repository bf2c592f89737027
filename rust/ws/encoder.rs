//! The frame encoder: frames out, with the sender's rules of RFC 6455 checked before any byte is
//! written.
//!
//! - Fragmentation (§5.4), as Ktor's writer keeps it: the first non-final data frame fixes the
//!   message type and goes out with its opcode; later frames of that type go out as continuations
//!   (opcode 0) until a final one; a data frame of the other type meanwhile is refused; control
//!   frames may go out between fragments.
//! - Control frames carry at most 125 bytes (§5.5); a Close payload is empty or a sendable code
//!   with a UTF-8 reason (§5.5.1, §7.4): nothing this encoder writes is refused by its decoder.
//! - A client masks every frame with a fresh key from a CSPRNG (§5.3: the key "MUST be derived
//!   from a strong source of entropy"): the thread-local `ChaCha` generator of `rand`, seeded and
//!   reseeded from the OS, which costs no system call per frame.
//!
//! The payload is copied once: masked (or not) straight into the output after the header.

use rand::Rng;

use crate::ws::close::{check_close_payload, CloseReason};
use crate::ws::error::{UsageError, WsError};
use crate::ws::header::{encode_header, header_len, FrameHeader, MAX_CONTROL_PAYLOAD_LEN};
use crate::ws::mask::{vec_filled_by, UninitWriter};
use crate::ws::opcode::{FrameType, OpCode};

/// A frame to send: its type, FIN and RSV bits and its unmasked payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutFrame<'a> {
    /// The type; the encoder turns it into a continuation when a message is open.
    pub frame_type: FrameType,
    /// The FIN bit (always set on control frames).
    pub fin: bool,
    /// The RSV bits, as `RSV1 << 2 | RSV2 << 1 | RSV3`.
    pub rsv: u8,
    /// The payload, unmasked.
    pub payload: &'a [u8],
}

/// The sending side's fragmentation state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrameEncoder {
    open: Option<FrameType>,
}

impl FrameEncoder {
    /// An encoder with no message open.
    pub const fn new() -> Self {
        Self { open: None }
    }

    /// The type of the fragmented message being sent, if one is open.
    pub const fn open_message(&self) -> Option<FrameType> {
        self.open
    }

    /// Checks `frame`, updates the fragmentation state and returns the header to write (without
    /// a mask key).
    ///
    /// # Errors
    /// The [`UsageError`] for the rule `frame` breaks; the state is then unchanged.
    pub fn plan(&mut self, frame: &OutFrame<'_>) -> Result<FrameHeader, UsageError> {
        let payload_len = frame.payload.len() as u64;
        if frame.frame_type.is_control() {
            if frame.payload.len() > MAX_CONTROL_PAYLOAD_LEN {
                return Err(UsageError::ControlPayloadTooLong {
                    size: frame.payload.len(),
                });
            }
            if frame.frame_type == FrameType::Close {
                check_close_payload(frame.payload).map_err(|err| match err {
                    WsError::InvalidCloseCode { code } => UsageError::CloseCodeNotSendable { code },
                    _ => UsageError::InvalidClosePayload,
                })?;
            }
            let opcode = OpCode::Type(frame.frame_type);
            return Ok(FrameHeader {
                fin: true,
                rsv: frame.rsv,
                opcode,
                mask: None,
                payload_len,
            });
        }
        let opcode = match self.open {
            None => OpCode::Type(frame.frame_type),
            Some(open) if open == frame.frame_type => OpCode::Continuation,
            Some(open) => {
                return Err(UsageError::MessageInterleaved {
                    open,
                    got: frame.frame_type,
                });
            }
        };
        self.open = if frame.fin {
            None
        } else {
            Some(frame.frame_type)
        };
        Ok(FrameHeader {
            fin: frame.fin,
            rsv: frame.rsv,
            opcode,
            mask: None,
            payload_len,
        })
    }

    /// Encodes `frame` into a new vector, masked with `mask` when given.
    ///
    /// # Errors
    /// As [`FrameEncoder::plan`].
    pub fn encode(
        &mut self,
        frame: &OutFrame<'_>,
        mask: Option<[u8; 4]>,
    ) -> Result<Vec<u8>, UsageError> {
        let mut header = self.plan(frame)?;
        header.mask = mask;
        let len = encoded_len(frame.payload.len(), mask.is_some());
        Ok(vec_filled_by(len, |out| {
            write_frame(out, &header, frame.payload);
        }))
    }
}

/// The wire size of a frame with a payload of `payload_len` bytes.
pub const fn encoded_len(payload_len: usize, masked: bool) -> usize {
    header_len(payload_len as u64, masked) + payload_len
}

/// Writes the header, then the payload masked with the header's key (if any).
///
/// # Panics
/// If `out` has less room than [`encoded_len`] (a caller bug).
pub fn write_frame(out: &mut UninitWriter<'_>, header: &FrameHeader, payload: &[u8]) {
    out.put(encode_header(header).as_bytes());
    match header.mask {
        Some(key) => out.put_masked(payload, key),
        None => out.put(payload),
    }
}

/// A fresh masking key from the thread's CSPRNG.
pub fn random_mask_key() -> [u8; 4] {
    rand::rng().random()
}

/// The payload of a Close frame for `reason`: empty for none, else the code and message; a code
/// that may not be sent is refused.
///
/// # Errors
/// [`UsageError::CloseCodeNotSendable`] for such a code.
pub fn close_payload(reason: Option<&CloseReason>) -> Result<Vec<u8>, UsageError> {
    let Some(reason) = reason else {
        return Ok(Vec::new());
    };
    let payload = reason.to_payload();
    let frame = OutFrame {
        frame_type: FrameType::Close,
        fin: true,
        rsv: 0,
        payload: &payload,
    };
    FrameEncoder::new().plan(&frame)?;
    Ok(payload)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::ws::decoder::FrameDecoder;
    use crate::ws::event::OwnedEvent;

    fn out(frame_type: FrameType, fin: bool, payload: &[u8]) -> OutFrame<'_> {
        OutFrame {
            frame_type,
            fin,
            rsv: 0,
            payload,
        }
    }

    #[test]
    fn short_frames_match_the_rfc_examples() {
        // RFC 6455 §5.7: unmasked "Hello", and a masked one with key 37 fa 21 3d.
        let mut encoder = FrameEncoder::new();
        let hello = out(FrameType::Text, true, b"Hello");
        assert_eq!(encoder.encode(&hello, None).unwrap(), b"\x81\x05Hello");
        let masked = encoder
            .encode(&hello, Some([0x37, 0xfa, 0x21, 0x3d]))
            .unwrap();
        assert_eq!(masked, b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58");
        let ping = encoder
            .encode(&out(FrameType::Ping, true, b"Hello"), None)
            .unwrap();
        assert_eq!(ping, b"\x89\x05Hello");
    }

    #[test]
    fn the_shortest_length_encoding_is_chosen() {
        let mut encoder = FrameEncoder::new();
        for (len, head) in [(125usize, 2usize), (126, 4), (65535, 4), (65536, 10)] {
            let payload = vec![7u8; len];
            let frame = encoder
                .encode(&out(FrameType::Binary, true, &payload), None)
                .unwrap();
            assert_eq!(frame.len(), head + len, "len {len}");
        }
    }

    #[test]
    fn fragments_after_the_first_go_out_as_continuations() {
        let mut encoder = FrameEncoder::new();
        let first = encoder
            .encode(&out(FrameType::Text, false, b"a"), None)
            .unwrap();
        let ping = encoder
            .encode(&out(FrameType::Ping, true, b""), None)
            .unwrap();
        let middle = encoder
            .encode(&out(FrameType::Text, false, b"b"), None)
            .unwrap();
        let last = encoder
            .encode(&out(FrameType::Text, true, b"c"), None)
            .unwrap();
        assert_eq!(
            [first[0], ping[0], middle[0], last[0]],
            [0x01, 0x89, 0x00, 0x80]
        );
        assert_eq!(encoder.open_message(), None);
    }

    #[test]
    fn a_data_frame_of_the_other_type_inside_a_message_is_refused() {
        let mut encoder = FrameEncoder::new();
        encoder
            .encode(&out(FrameType::Binary, false, b"a"), None)
            .unwrap();
        let err = encoder
            .encode(&out(FrameType::Text, true, b"b"), None)
            .unwrap_err();
        let expected = UsageError::MessageInterleaved {
            open: FrameType::Binary,
            got: FrameType::Text,
        };
        assert_eq!(err, expected);
        assert_eq!(
            encoder.open_message(),
            Some(FrameType::Binary),
            "state unchanged"
        );
    }

    #[test]
    fn control_payloads_over_125_bytes_are_refused() {
        let mut encoder = FrameEncoder::new();
        let big = [0u8; 126];
        let err = encoder
            .encode(&out(FrameType::Pong, true, &big), None)
            .unwrap_err();
        assert_eq!(err, UsageError::ControlPayloadTooLong { size: 126 });
    }

    #[test]
    fn close_codes_that_may_not_be_sent_are_refused() {
        for code in [0u16, 1004, 1005, 1006, 1015, 2999, 5000] {
            let reason = CloseReason::new(code, "").unwrap();
            assert_eq!(
                close_payload(Some(&reason)),
                Err(UsageError::CloseCodeNotSendable { code })
            );
        }
        assert_eq!(close_payload(None).unwrap(), b"");
        let reason = CloseReason::new(4000, "bye").unwrap();
        assert_eq!(close_payload(Some(&reason)).unwrap(), b"\x0f\xa0bye");
        let mut encoder = FrameEncoder::new();
        let bad = out(FrameType::Close, true, b"\x03");
        assert_eq!(
            encoder.encode(&bad, None),
            Err(UsageError::InvalidClosePayload)
        );
    }

    #[test]
    fn random_keys_differ() {
        let keys: std::collections::HashSet<_> = (0..64).map(|_| random_mask_key()).collect();
        assert!(keys.len() > 60);
    }

    #[test]
    fn what_a_client_encodes_a_server_decodes() {
        let mut encoder = FrameEncoder::new();
        let mut wire = Vec::new();
        for frame in [
            out(FrameType::Text, false, "héllo ".as_bytes()),
            out(FrameType::Ping, true, b"p"),
            out(FrameType::Text, true, "wörld".as_bytes()),
            out(FrameType::Binary, true, &[0, 1, 2, 255]),
            out(FrameType::Close, true, b"\x03\xe8"),
        ] {
            wire.extend(encoder.encode(&frame, Some(random_mask_key())).unwrap());
        }
        let mut decoder = FrameDecoder::new(false, 1 << 20, true, 0);
        let mut events: Vec<OwnedEvent> = Vec::new();
        decoder.feed(&wire, &mut events).unwrap();
        let ping = OwnedEvent::Frame {
            frame_type: FrameType::Ping,
            fin: true,
            rsv: 0,
            data: b"p".to_vec(),
        };
        let close = OwnedEvent::Frame {
            frame_type: FrameType::Close,
            fin: true,
            rsv: 0,
            data: b"\x03\xe8".to_vec(),
        };
        assert_eq!(
            events,
            [
                ping,
                OwnedEvent::Text("héllo wörld".into()),
                OwnedEvent::Binary(vec![0, 1, 2, 255]),
                close,
            ]
        );
        assert_eq!(decoder.error(), None);
    }
}
