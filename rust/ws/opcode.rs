//! Opcodes (RFC 6455 §5.2, §11.8) and the frame types a session sees.
//!
//! The wire has six opcodes in use; the rest (3–7, 0xB–0xF) are reserved and fail the connection.
//! Continuation (0) is only a wire detail: decoded frames take the type of their message's first
//! frame, as Ktor's reader does, so [`FrameType`] has no continuation member.

use crate::ws::error::WsError;

/// The opcode of a frame on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpCode {
    /// 0x0: continues the fragmented message the last Text or Binary frame opened.
    Continuation,
    /// A frame of a type a session sees (0x1, 0x2, 0x8, 0x9, 0xA).
    Type(FrameType),
}

impl OpCode {
    /// Reads the low four bits of a header's first byte.
    ///
    /// # Errors
    /// [`WsError::UnknownOpcode`] for the reserved opcodes.
    pub fn from_wire(opcode: u8) -> Result<Self, WsError> {
        Ok(match opcode {
            0x0 => Self::Continuation,
            0x1 => Self::Type(FrameType::Text),
            0x2 => Self::Type(FrameType::Binary),
            0x8 => Self::Type(FrameType::Close),
            0x9 => Self::Type(FrameType::Ping),
            0xA => Self::Type(FrameType::Pong),
            _ => return Err(WsError::UnknownOpcode { opcode }),
        })
    }

    /// The 4-bit value on the wire.
    pub const fn to_wire(self) -> u8 {
        match self {
            Self::Continuation => 0x0,
            Self::Type(frame_type) => frame_type.opcode(),
        }
    }
}

/// The frame types a session sees (RFC 6455 §5.6, §5.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameType {
    /// UTF-8 text data (0x1).
    Text,
    /// Binary data (0x2).
    Binary,
    /// The closing handshake (0x8).
    Close,
    /// A keep-alive or latency probe (0x9).
    Ping,
    /// The answer to a Ping, or a unidirectional heartbeat (0xA).
    Pong,
}

impl FrameType {
    /// The opcode on the wire.
    pub const fn opcode(self) -> u8 {
        match self {
            Self::Text => 0x1,
            Self::Binary => 0x2,
            Self::Close => 0x8,
            Self::Ping => 0x9,
            Self::Pong => 0xA,
        }
    }

    /// True for Close, Ping and Pong (opcodes with the high bit set, §5.5).
    pub const fn is_control(self) -> bool {
        self.opcode() & 0x8 != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_opcode_maps_back_to_itself_or_is_refused() {
        for wire in 0u8..16 {
            match OpCode::from_wire(wire) {
                Ok(opcode) => assert_eq!(opcode.to_wire(), wire),
                Err(err) => {
                    assert!(matches!(wire, 3..=7 | 0xB..=0xF));
                    assert_eq!(err, WsError::UnknownOpcode { opcode: wire });
                    assert_eq!(err.close_code(), 1002);
                }
            }
        }
    }

    #[test]
    fn control_types_are_close_ping_pong() {
        let control: Vec<_> = [
            FrameType::Text,
            FrameType::Binary,
            FrameType::Close,
            FrameType::Ping,
            FrameType::Pong,
        ]
        .into_iter()
        .filter(|t| t.is_control())
        .collect();
        assert_eq!(
            control,
            [FrameType::Close, FrameType::Ping, FrameType::Pong]
        );
    }
}
