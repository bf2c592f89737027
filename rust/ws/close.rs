//! Close frames (RFC 6455 §5.5.1, §7.4): codes, reasons, and the rules on a Close payload.
//!
//! A Close payload is empty, or a 2-byte big-endian code followed by a UTF-8 reason; a 1-byte
//! payload is a protocol error. Only 1000–1003, 1007–1014 and 3000–4999 may appear on the wire:
//! 1004 is reserved, 1005, 1006 and 1015 are for local reports only (§7.4.1), 1016–2999 belong to
//! future RFCs and 0–999 are unused. The reason is at most 123 bytes, so that the payload of a
//! control frame stays within 125.

use crate::ws::error::{UsageError, WsError};
use crate::ws::utf8::Utf8Validator;

/// The longest close message: a control payload (125 bytes) minus the 2-byte code.
pub const MAX_CLOSE_MESSAGE_LEN: usize = 123;

/// True when `code` may appear in a Close frame on the wire (§7.4).
pub const fn is_valid_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// The close codes Ktor names, plus 1005 (no status), which reports an empty Close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseCode {
    /// 1000: the purpose of the connection is fulfilled.
    Normal,
    /// 1001: the endpoint goes away (server shutdown, page navigation).
    GoingAway,
    /// 1002: the peer broke the protocol.
    ProtocolError,
    /// 1003: a data type the endpoint cannot accept.
    CannotAccept,
    /// 1005: the Close frame had no code (reported, never sent).
    NoStatus,
    /// 1006: the connection dropped without a Close frame (reported, never sent).
    ClosedAbnormally,
    /// 1007: data inconsistent with the message type, such as text that is not UTF-8.
    NotConsistent,
    /// 1008: a message violated the endpoint's policy.
    ViolatedPolicy,
    /// 1009: a message too big to process.
    TooBig,
    /// 1010: the client expected an extension the server did not negotiate.
    NoExtension,
    /// 1011: the server met an unexpected condition.
    InternalError,
    /// 1012: the service is restarting.
    ServiceRestart,
    /// 1013: try again later (temporary overload).
    TryAgainLater,
}

impl CloseCode {
    /// Every member, in code order.
    pub const ALL: [Self; 13] = [
        Self::Normal,
        Self::GoingAway,
        Self::ProtocolError,
        Self::CannotAccept,
        Self::NoStatus,
        Self::ClosedAbnormally,
        Self::NotConsistent,
        Self::ViolatedPolicy,
        Self::TooBig,
        Self::NoExtension,
        Self::InternalError,
        Self::ServiceRestart,
        Self::TryAgainLater,
    ];

    /// The numeric code.
    pub const fn code(self) -> u16 {
        match self {
            Self::Normal => 1000,
            Self::GoingAway => 1001,
            Self::ProtocolError => 1002,
            Self::CannotAccept => 1003,
            Self::NoStatus => 1005,
            Self::ClosedAbnormally => 1006,
            Self::NotConsistent => 1007,
            Self::ViolatedPolicy => 1008,
            Self::TooBig => 1009,
            Self::NoExtension => 1010,
            Self::InternalError => 1011,
            Self::ServiceRestart => 1012,
            Self::TryAgainLater => 1013,
        }
    }

    /// The member for `code`, if it is a known one.
    pub fn from_code(code: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|member| member.code() == code)
    }
}

/// A close code and message, as carried by a Close frame.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CloseReason {
    code: u16,
    message: String,
}

impl CloseReason {
    /// A reason whose message fits a Close frame (at most 123 UTF-8 bytes). The code is not
    /// checked here: 1005 and 1006 are legitimate reports; the encoder refuses to send them.
    ///
    /// # Errors
    /// [`UsageError::CloseMessageTooLong`] for a message over 123 bytes.
    pub fn new(code: u16, message: impl Into<String>) -> Result<Self, UsageError> {
        let message = message.into();
        if message.len() > MAX_CLOSE_MESSAGE_LEN {
            return Err(UsageError::CloseMessageTooLong {
                size: message.len(),
            });
        }
        Ok(Self { code, message })
    }

    /// A reason whose message is cut to 123 bytes at a character boundary, for closes whose
    /// message comes from an error and may be long.
    pub fn truncated(code: u16, message: &str) -> Self {
        let mut end = message.len().min(MAX_CLOSE_MESSAGE_LEN);
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        Self {
            code,
            message: message[..end].to_owned(),
        }
    }

    /// The close code.
    pub const fn code(&self) -> u16 {
        self.code
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The [`CloseCode`] for the code, if it is a known one.
    pub fn known_reason(&self) -> Option<CloseCode> {
        CloseCode::from_code(self.code)
    }

    /// The Close payload: the code in big-endian order, then the message.
    pub fn to_payload(&self) -> Vec<u8> {
        let mut payload = Vec::with_capacity(2 + self.message.len());
        payload.extend_from_slice(&self.code.to_be_bytes());
        payload.extend_from_slice(self.message.as_bytes());
        payload
    }
}

/// Checks a Close payload as it arrives: the code once its two bytes are in, the reason as UTF-8
/// piece by piece, so a bad byte fails before the frame ends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClosePayloadCheck {
    utf8: Utf8Validator,
}

impl ClosePayloadCheck {
    /// Checks `payload[seen..]`, where `payload` holds every byte of the payload received so far
    /// and `seen` how many of them earlier calls checked.
    ///
    /// # Errors
    /// [`WsError::InvalidCloseCode`], or [`WsError::InvalidUtf8`] at the first impossible byte.
    pub fn feed(&mut self, payload: &[u8], seen: usize) -> Result<(), WsError> {
        if let [hi, lo, ..] = *payload {
            if seen < 2 {
                let code = u16::from_be_bytes([hi, lo]);
                if !is_valid_close_code(code) {
                    return Err(WsError::InvalidCloseCode { code });
                }
            }
            self.utf8.feed(&payload[seen.max(2)..])?;
        }
        Ok(())
    }

    /// Checks that the payload, now complete, does not end inside a character of the reason.
    ///
    /// # Errors
    /// [`WsError::InvalidUtf8`] when it does.
    pub fn finish(&mut self) -> Result<(), WsError> {
        self.utf8.finish()
    }
}

/// Checks a whole Close payload with the rules a receiver applies (used before sending one).
///
/// # Errors
/// The violation a receiver would report.
pub fn check_close_payload(payload: &[u8]) -> Result<(), WsError> {
    if payload.len() == 1 {
        return Err(WsError::CloseFrameTooShort);
    }
    let mut check = ClosePayloadCheck::default();
    check.feed(payload, 0)?;
    check.finish()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn valid_codes_are_exactly_the_rfc_ranges() {
        let valid: Vec<u16> = (0..=u16::MAX).filter(|&c| is_valid_close_code(c)).collect();
        assert_eq!(valid.len(), 4 + 8 + 2000);
        for code in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
            assert!(!is_valid_close_code(code), "{code}");
        }
    }

    #[test]
    fn known_codes_map_both_ways() {
        for member in CloseCode::ALL {
            assert_eq!(CloseCode::from_code(member.code()), Some(member));
        }
        assert_eq!(CloseCode::from_code(1004), None);
        assert_eq!(CloseCode::from_code(4000), None);
    }

    #[test]
    fn messages_over_123_bytes_are_refused() {
        assert!(CloseReason::new(1000, "x".repeat(123)).is_ok());
        assert_eq!(
            CloseReason::new(1000, "é".repeat(62)),
            Err(UsageError::CloseMessageTooLong { size: 124 })
        );
    }

    #[test]
    fn truncation_never_splits_a_character() {
        let reason = CloseReason::truncated(1011, &"é".repeat(100));
        assert_eq!(reason.message().len(), 122);
        let reason = CloseReason::truncated(1011, &format!("{}𝄞", "a".repeat(121)));
        assert_eq!(reason.message(), "a".repeat(121));
        assert_eq!(CloseReason::truncated(1000, "short").message(), "short");
    }

    #[test]
    fn payload_is_code_then_message() {
        let reason = CloseReason::new(1001, "bye").unwrap();
        assert_eq!(reason.to_payload(), b"\x03\xe9bye");
        assert_eq!(reason.known_reason(), Some(CloseCode::GoingAway));
    }

    #[test]
    fn close_payload_rules() {
        assert_eq!(check_close_payload(b""), Ok(()));
        assert_eq!(
            check_close_payload(b"\x03"),
            Err(WsError::CloseFrameTooShort)
        );
        assert_eq!(check_close_payload(b"\x03\xe8ok"), Ok(()));
        assert_eq!(
            check_close_payload(b"\x03\xed"),
            Err(WsError::InvalidCloseCode { code: 1005 })
        );
        assert_eq!(
            check_close_payload(b"\x03\xe8\xff"),
            Err(WsError::InvalidUtf8)
        );
        assert_eq!(
            check_close_payload(b"\x03\xe8\xc3"),
            Err(WsError::InvalidUtf8)
        );
    }

    #[test]
    fn close_payload_checked_byte_by_byte_fails_at_the_bad_byte() {
        let payload = b"\x03\xe8ok\xffmore";
        let mut check = ClosePayloadCheck::default();
        for end in 1..=payload.len() {
            let result = check.feed(&payload[..end], end - 1);
            assert_eq!(result.is_err(), end == 5, "end {end}");
            if result.is_err() {
                return;
            }
        }
        unreachable!("the bad byte must fail");
    }
}
