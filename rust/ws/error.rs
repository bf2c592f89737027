//! What can go wrong in the codec: the peer's violations ([`WsError`]) and the caller's misuse
//! ([`UsageError`]).
//!
//! Each [`WsError`] variant names the rule of RFC 6455 the peer broke and knows the close code that
//! answers it ([`WsError::close_code`]): 1002 for protocol errors (§7.4.1), 1007 for text that is not
//! UTF-8 (§8.1) and 1009 for a frame or message over the configured limit. Messages describe the
//! rule and the sizes involved; they never echo payload bytes, so they are safe to send back in a
//! Close frame or to log.

use std::fmt;

use crate::ws::opcode::FrameType;

/// A violation of RFC 6455 by the peer; decoding stops at the first one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WsError {
    /// RSV bits set that no negotiated extension claims (§5.2). `bits` is `RSV1 << 2 | RSV2 << 1 |
    /// RSV3`.
    ReservedBitsSet {
        /// The RSV bits of the frame, as `(first byte >> 4) & 7`.
        bits: u8,
    },
    /// An opcode RFC 6455 reserves (3–7, 0xB–0xF) (§5.2).
    UnknownOpcode {
        /// The opcode on the wire.
        opcode: u8,
    },
    /// A Close, Ping or Pong frame without FIN (§5.5: control frames MUST NOT be fragmented).
    ControlFrameFragmented,
    /// A control frame whose payload is over 125 bytes (§5.5).
    ControlFrameTooLong {
        /// The declared payload length.
        size: u64,
    },
    /// A continuation frame while no fragmented message is open (§5.4).
    UnexpectedContinuation,
    /// A new Text or Binary frame while a fragmented message is still open (§5.4).
    MessageNotFinished,
    /// A frame without the mask bit received by a server (§5.1: the client MUST mask).
    UnmaskedClientFrame,
    /// A masked frame received by a client (§5.1: the server MUST NOT mask).
    MaskedServerFrame,
    /// A payload length not written in its shortest form (§5.2: "the minimal number of bytes MUST
    /// be used").
    NonMinimalLength,
    /// A 64-bit payload length with its most significant bit set (§5.2).
    LengthOverflow,
    /// A Close frame with a 1-byte payload: a body, if present, starts with a 2-byte code (§5.5.1).
    CloseFrameTooShort,
    /// A close code that may not appear on the wire (§7.4): valid codes are 1000–1003,
    /// 1007–1014 and 3000–4999.
    InvalidCloseCode {
        /// The code received.
        code: u16,
    },
    /// A text message or close reason that is not valid UTF-8 (§8.1).
    InvalidUtf8,
    /// A frame whose declared payload length is over `max_frame_size`.
    FrameTooBig {
        /// The declared payload length.
        size: u64,
        /// The limit in force.
        max: u64,
    },
    /// A fragmented message whose size, with this fragment, goes over `max_frame_size`.
    MessageTooBig {
        /// The size of the message including the fragment just announced.
        size: u64,
        /// The limit in force.
        max: u64,
    },
    /// A compressed message that inflates past `max_frame_size` (RFC 7692 §8.2: a limit on the
    /// decompressed size), caught as the output is produced.
    DecompressedTooBig {
        /// The limit in force.
        max: u64,
    },
    /// A compressed message whose payload is not DEFLATE data, or does not end between two
    /// blocks once `00 00 FF FF` is added (RFC 7692 §7.2.2).
    InvalidCompressedData,
}

impl WsError {
    /// The close code to answer the violation with: 1007 for bad UTF-8, 1009 for a size over the
    /// limit, 1002 (protocol error) for everything else.
    pub const fn close_code(self) -> u16 {
        match self {
            Self::InvalidUtf8 => 1007,
            Self::FrameTooBig { .. }
            | Self::MessageTooBig { .. }
            | Self::DecompressedTooBig { .. } => 1009,
            _ => 1002,
        }
    }

    /// True for the size violations, which Python raises as `PayloadTooBig`.
    pub const fn is_too_big(self) -> bool {
        matches!(
            self,
            Self::FrameTooBig { .. } | Self::MessageTooBig { .. } | Self::DecompressedTooBig { .. }
        )
    }
}

impl fmt::Display for WsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::ReservedBitsSet { bits } => {
                write!(
                    f,
                    "reserved bits set that no negotiated extension allows (RSV = {bits:#05b})"
                )
            }
            Self::UnknownOpcode { opcode } => write!(f, "unknown opcode {opcode:#x}"),
            Self::ControlFrameFragmented => f.write_str("fragmented control frame"),
            Self::ControlFrameTooLong { size } => {
                write!(f, "control frame payload of {size} bytes is over 125 bytes")
            }
            Self::UnexpectedContinuation => {
                f.write_str("continuation frame without a fragmented message to continue")
            }
            Self::MessageNotFinished => {
                f.write_str("new data frame while a fragmented message is not finished")
            }
            Self::UnmaskedClientFrame => f.write_str("unmasked frame from the client"),
            Self::MaskedServerFrame => f.write_str("masked frame from the server"),
            Self::NonMinimalLength => f.write_str("payload length not in its minimal encoding"),
            Self::LengthOverflow => f.write_str("64-bit payload length with its top bit set"),
            Self::CloseFrameTooShort => f.write_str("close frame with a 1-byte payload"),
            Self::InvalidCloseCode { code } => write!(f, "invalid close code {code}"),
            Self::InvalidUtf8 => f.write_str("invalid UTF-8 in a text message or close reason"),
            Self::FrameTooBig { size, max } => {
                write!(f, "frame of {size} bytes is over the limit of {max} bytes")
            }
            Self::MessageTooBig { size, max } => {
                write!(
                    f,
                    "message of {size} bytes is over the limit of {max} bytes"
                )
            }
            Self::DecompressedTooBig { max } => {
                write!(f, "decompressed message is over the limit of {max} bytes")
            }
            Self::InvalidCompressedData => f.write_str("invalid compressed data"),
        }
    }
}

impl std::error::Error for WsError {}

/// The caller asked the encoder or a constructor for something RFC 6455 forbids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageError {
    /// A control frame payload over 125 bytes (§5.5).
    ControlPayloadTooLong {
        /// The payload length asked for.
        size: usize,
    },
    /// A close message over 123 UTF-8 bytes (125 minus the 2-byte code).
    CloseMessageTooLong {
        /// The message length in UTF-8 bytes.
        size: usize,
    },
    /// A close code outside 0..=65535.
    CloseCodeOutOfRange,
    /// A close code that may not be sent (§7.4: 1005, 1006 and 1015 are reserved for reports;
    /// only 1000–1003, 1007–1014 and 3000–4999 are valid on the wire).
    CloseCodeNotSendable {
        /// The code asked for.
        code: u16,
    },
    /// A Close payload that a peer would refuse: one byte long, or a reason that is not UTF-8.
    InvalidClosePayload,
    /// A data frame of one type while a fragmented message of the other type is open (§5.4).
    MessageInterleaved {
        /// The type of the open message.
        open: FrameType,
        /// The type of the frame asked for.
        got: FrameType,
    },
    /// A mask key that is not 4 bytes long.
    InvalidMaskKey {
        /// The length given.
        size: usize,
    },
    /// A frame of another type than the operation needs (reading a reason from a Ping, say).
    WrongFrameType {
        /// The type the operation needs.
        expected: FrameType,
        /// The type of the frame.
        got: FrameType,
    },
    /// Reading a fragment as if it were a whole text.
    FrameNotFinal,
    /// An RSV bit mask outside 0..=7.
    RsvBitsOutOfRange,
    /// A compression setting out of its range (see `DeflateSettings::new`).
    DeflateSettingOutOfRange {
        /// The setting.
        setting: DeflateSetting,
    },
    /// Raw frames with permessage-deflate: the extension works on whole messages.
    DeflateNeedsMessages,
    /// A compressed message asked for while another one is being compressed elsewhere.
    CompressorBusy,
    /// Compression asked for where permessage-deflate was not agreed.
    DeflateNotNegotiated,
}

/// A setting of the compressor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeflateSetting {
    /// zlib's compression level.
    Level,
    /// The LZ77 window.
    WindowBits,
    /// zlib's memLevel.
    MemLevel,
}

impl UsageError {
    /// True for errors about values (which Python raises as plain `ValueError`) rather than about
    /// protocol use (`LocalProtocolError`).
    pub const fn is_value_error(self) -> bool {
        matches!(
            self,
            Self::CloseMessageTooLong { .. }
                | Self::CloseCodeOutOfRange
                | Self::InvalidMaskKey { .. }
                | Self::WrongFrameType { .. }
                | Self::FrameNotFinal
                | Self::RsvBitsOutOfRange
                | Self::DeflateSettingOutOfRange { .. }
                | Self::DeflateNeedsMessages
        )
    }
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::ControlPayloadTooLong { size } => {
                write!(f, "control frame payload of {size} bytes is over 125 bytes")
            }
            Self::CloseMessageTooLong { size } => {
                write!(f, "close message of {size} UTF-8 bytes is over 123 bytes")
            }
            Self::CloseCodeOutOfRange => f.write_str("close code is not in 0..=65535"),
            Self::CloseCodeNotSendable { code } => {
                write!(f, "close code {code} may not be sent in a Close frame")
            }
            Self::InvalidClosePayload => {
                f.write_str("close payload must be empty or a valid code with a UTF-8 reason")
            }
            Self::MessageInterleaved { open, got } => write!(
                f,
                "cannot send a {got:?} frame while a fragmented {open:?} message is open"
            ),
            Self::InvalidMaskKey { size } => write!(f, "mask key must be 4 bytes, not {size}"),
            Self::WrongFrameType { expected, got } => {
                write!(f, "needs a {expected:?} frame, not a {got:?} frame")
            }
            Self::FrameNotFinal => f.write_str("a fragment (FIN not set) is not a whole text"),
            Self::RsvBitsOutOfRange => f.write_str("RSV bits must be a mask in 0..=7"),
            Self::DeflateSettingOutOfRange { setting } => {
                let (name, range) = match setting {
                    DeflateSetting::Level => ("level", "-1 to 9"),
                    DeflateSetting::WindowBits => ("window_bits", "9 to 15"),
                    DeflateSetting::MemLevel => ("mem_level", "1 to 9"),
                };
                write!(f, "permessage-deflate {name} must be {range}")
            }
            Self::DeflateNeedsMessages => {
                f.write_str("permessage-deflate needs a reassembling decoder (whole messages)")
            }
            Self::CompressorBusy => {
                f.write_str("the compressor is busy with another message of this session")
            }
            Self::DeflateNotNegotiated => {
                f.write_str("permessage-deflate was not agreed for this side")
            }
        }
    }
}

impl std::error::Error for UsageError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_codes_follow_the_kind_of_violation() {
        assert_eq!(WsError::InvalidUtf8.close_code(), 1007);
        assert_eq!(WsError::FrameTooBig { size: 2, max: 1 }.close_code(), 1009);
        assert_eq!(
            WsError::MessageTooBig { size: 2, max: 1 }.close_code(),
            1009
        );
        assert_eq!(WsError::ControlFrameFragmented.close_code(), 1002);
        assert_eq!(WsError::InvalidCloseCode { code: 5 }.close_code(), 1002);
    }

    #[test]
    fn errors_stay_small() {
        assert!(std::mem::size_of::<WsError>() <= 24);
        assert!(std::mem::size_of::<UsageError>() <= 16);
    }

    #[test]
    fn messages_name_the_rule() {
        let text = WsError::ReservedBitsSet { bits: 4 }.to_string();
        assert_eq!(
            text,
            "reserved bits set that no negotiated extension allows (RSV = 0b100)"
        );
        let text = UsageError::MessageInterleaved {
            open: FrameType::Text,
            got: FrameType::Binary,
        };
        assert!(text.to_string().contains("Binary"));
    }
}
