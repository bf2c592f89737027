//! The frame header (RFC 6455 §5.2): parse with the rules that concern one frame, and serialize.
//!
//! ```text
//!  0                   1                   2                   3
//! +-+-+-+-+-------+-+-------------+-------------------------------+
//! |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//! |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//! |N|V|V|V|       |S|             |   (if payload len==126/127)   |
//! | |1|2|3|       |K|             |                               |
//! +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
//! |     Extended payload length continued, if payload len == 127  |
//! + - - - - - - - - - - - - - - - +-------------------------------+
//! |                               |Masking-key, if MASK set to 1  |
//! +-------------------------------+-------------------------------+
//! ```
//!
//! Rules checked here, once the whole header (2 to 14 bytes) is available, in this order:
//! the opcode is known (§5.2); RSV bits are only those an extension negotiated, and only on the
//! first frame of a data message (§5.2, RFC 7692 §6); control frames have FIN (§5.5); the mask bit
//! matches the sender's role (§5.1); the length uses its minimal encoding and a 64-bit length has
//! its top bit clear (§5.2); control payloads are at most 125 bytes (§5.5); a Close payload is not
//! 1 byte long (§5.5.1). Rules about the sequence of frames live in `decoder`.

use crate::ws::error::WsError;
use crate::ws::opcode::{FrameType, OpCode};

/// The longest header: 2 bytes, a 64-bit length and a mask key.
pub const MAX_HEADER_LEN: usize = 14;

/// The largest payload a control frame may carry (§5.5).
pub const MAX_CONTROL_PAYLOAD_LEN: usize = 125;

/// The 7-bit length value announcing a 16-bit extended length.
pub const LEN_16: u8 = 0x7E;
/// The 7-bit length value announcing a 64-bit extended length.
pub const LEN_64: u8 = 0x7F;

/// RSV1, as a bit of `FrameHeader::rsv` (`(first byte >> 4) & 7`).
pub const RSV1: u8 = 0b100;
/// RSV2, as a bit of `FrameHeader::rsv`.
pub const RSV2: u8 = 0b010;
/// RSV3, as a bit of `FrameHeader::rsv`.
pub const RSV3: u8 = 0b001;

/// A parsed frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// The FIN bit: this frame ends its message.
    pub fin: bool,
    /// The RSV bits as `RSV1 | RSV2 | RSV3` (see [`RSV1`]).
    pub rsv: u8,
    /// The opcode.
    pub opcode: OpCode,
    /// The masking key, when the mask bit is set.
    pub mask: Option<[u8; 4]>,
    /// The payload length in bytes.
    pub payload_len: u64,
}

/// What one endpoint accepts in a header, fixed when its decoder is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderRules {
    /// True at a server, which requires masked frames; a client requires unmasked ones.
    pub expect_masked: bool,
    /// RSV bits an extension negotiated for the first frame of a data message.
    pub allowed_rsv: u8,
}

/// Parses the header at the start of `buf`: `Ok(None)` while it is incomplete, else the header
/// and its length in bytes. Validation waits for the complete header, so the error reported for
/// a given header never depends on how its bytes were split.
///
/// # Errors
/// The first rule of the module documentation the header breaks.
pub fn parse_header(
    buf: &[u8],
    rules: HeaderRules,
) -> Result<Option<(FrameHeader, usize)>, WsError> {
    let [b0, b1, rest @ ..] = buf else {
        return Ok(None);
    };
    let masked = b1 & 0x80 != 0;
    let len7 = b1 & 0x7F;
    let ext_len = match len7 {
        LEN_16 => 2,
        LEN_64 => 8,
        _ => 0,
    };
    let header_len = 2 + ext_len + if masked { 4 } else { 0 };
    if buf.len() < header_len {
        return Ok(None);
    }

    let fin = b0 & 0x80 != 0;
    let rsv = (b0 >> 4) & 0x7;
    let opcode = OpCode::from_wire(b0 & 0x0F)?;
    let control = matches!(opcode, OpCode::Type(t) if t.is_control());
    let first_data_frame = matches!(opcode, OpCode::Type(FrameType::Text | FrameType::Binary));
    let allowed_rsv = if first_data_frame {
        rules.allowed_rsv
    } else {
        0
    };
    if rsv & !allowed_rsv != 0 {
        return Err(WsError::ReservedBitsSet { bits: rsv });
    }
    if control && !fin {
        return Err(WsError::ControlFrameFragmented);
    }
    match (rules.expect_masked, masked) {
        (true, false) => return Err(WsError::UnmaskedClientFrame),
        (false, true) => return Err(WsError::MaskedServerFrame),
        _ => {}
    }

    let payload_len = match (len7, rest) {
        (LEN_16, [hi, lo, ..]) => {
            let len = u16::from_be_bytes([*hi, *lo]);
            if len < 126 {
                return Err(WsError::NonMinimalLength);
            }
            u64::from(len)
        }
        (LEN_64, ext) => read_len_64(ext)?,
        _ => u64::from(len7),
    };
    if control && payload_len > MAX_CONTROL_PAYLOAD_LEN as u64 {
        return Err(WsError::ControlFrameTooLong { size: payload_len });
    }
    if opcode == OpCode::Type(FrameType::Close) && payload_len == 1 {
        return Err(WsError::CloseFrameTooShort);
    }

    let mask = match &rest[ext_len..] {
        [k0, k1, k2, k3, ..] if masked => Some([*k0, *k1, *k2, *k3]),
        _ => None,
    };
    let header = FrameHeader {
        fin,
        rsv,
        opcode,
        mask,
        payload_len,
    };
    Ok(Some((header, header_len)))
}

/// Reads a 64-bit extended length from the start of `ext`, which the caller checked holds it.
fn read_len_64(ext: &[u8]) -> Result<u64, WsError> {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&ext[..8]);
    let len = u64::from_be_bytes(bytes);
    if len >> 63 != 0 {
        return Err(WsError::LengthOverflow);
    }
    if u16::try_from(len).is_ok() {
        return Err(WsError::NonMinimalLength);
    }
    Ok(len)
}

/// A serialized header: up to [`MAX_HEADER_LEN`] bytes.
#[derive(Debug, Clone, Copy)]
pub struct EncodedHeader {
    bytes: [u8; MAX_HEADER_LEN],
    len: u8,
}

impl EncodedHeader {
    /// The header bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// The length of the header for a payload of `payload_len` bytes.
pub const fn header_len(payload_len: u64, masked: bool) -> usize {
    let ext = if payload_len < 126 {
        0
    } else if payload_len <= u16::MAX as u64 {
        2
    } else {
        8
    };
    2 + ext + if masked { 4 } else { 0 }
}

/// Serializes a header, choosing the shortest length encoding. `rsv` uses the bits of
/// [`FrameHeader::rsv`]; bits above RSV1 are ignored.
pub fn encode_header(header: &FrameHeader) -> EncodedHeader {
    let mut bytes = [0u8; MAX_HEADER_LEN];
    bytes[0] = u8::from(header.fin) << 7 | (header.rsv & 0x7) << 4 | header.opcode.to_wire();
    let mask_bit = if header.mask.is_some() { 0x80 } else { 0 };
    let len = header.payload_len;
    let mut at = 2;
    if len < 126 {
        bytes[1] = mask_bit | len as u8;
    } else if let Ok(len16) = u16::try_from(len) {
        bytes[1] = mask_bit | LEN_16;
        bytes[2..4].copy_from_slice(&len16.to_be_bytes());
        at = 4;
    } else {
        bytes[1] = mask_bit | LEN_64;
        bytes[2..10].copy_from_slice(&len.to_be_bytes());
        at = 10;
    }
    if let Some(key) = header.mask {
        bytes[at..at + 4].copy_from_slice(&key);
        at += 4;
    }
    EncodedHeader {
        bytes,
        len: at as u8,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const SERVER: HeaderRules = HeaderRules {
        expect_masked: true,
        allowed_rsv: 0,
    };
    const CLIENT: HeaderRules = HeaderRules {
        expect_masked: false,
        allowed_rsv: 0,
    };

    fn parse(buf: &[u8], rules: HeaderRules) -> Result<FrameHeader, WsError> {
        let (header, len) = parse_header(buf, rules)?.unwrap();
        assert_eq!(len, buf.len(), "the whole test vector is the header");
        Ok(header)
    }

    fn header(opcode: OpCode, payload_len: u64, mask: Option<[u8; 4]>) -> FrameHeader {
        FrameHeader {
            fin: true,
            rsv: 0,
            opcode,
            mask,
            payload_len,
        }
    }

    #[test]
    fn all_three_length_encodings_round_trip_at_their_edges() {
        for len in [0, 1, 125, 126, 127, 65535, 65536, 1 << 40, (1 << 63) - 1] {
            for mask in [None, Some([1, 2, 3, 4])] {
                let original = header(OpCode::Type(FrameType::Binary), len, mask);
                let encoded = encode_header(&original);
                assert_eq!(encoded.as_bytes().len(), header_len(len, mask.is_some()));
                let rules = HeaderRules {
                    expect_masked: mask.is_some(),
                    allowed_rsv: 0,
                };
                assert_eq!(parse(encoded.as_bytes(), rules).unwrap(), original);
            }
        }
    }

    #[test]
    fn every_prefix_of_a_header_is_incomplete() {
        let encoded = encode_header(&header(OpCode::Type(FrameType::Text), 70000, Some([9; 4])));
        let bytes = encoded.as_bytes();
        assert_eq!(bytes.len(), MAX_HEADER_LEN);
        for cut in 0..bytes.len() {
            assert_eq!(parse_header(&bytes[..cut], SERVER), Ok(None));
        }
    }

    #[test]
    fn fin_rsv_and_opcode_bits_are_read() {
        let rules = HeaderRules {
            expect_masked: false,
            allowed_rsv: RSV1 | RSV2 | RSV3,
        };
        let h = parse(&[0x71, 0x00], rules).unwrap();
        assert_eq!(
            (h.fin, h.rsv, h.opcode),
            (false, 7, OpCode::Type(FrameType::Text))
        );
        let h = parse(&[0x80, 0x00], CLIENT).unwrap();
        assert_eq!((h.fin, h.opcode), (true, OpCode::Continuation));
    }

    #[test]
    fn unknown_opcodes_fail_with_1002() {
        for opcode in [3u8, 7, 0xB, 0xF] {
            let err = parse(&[0x80 | opcode, 0x00], CLIENT).unwrap_err();
            assert_eq!(err, WsError::UnknownOpcode { opcode });
            assert_eq!(err.close_code(), 1002);
        }
    }

    #[test]
    fn rsv_bits_fail_unless_allowed_on_a_first_data_frame() {
        assert_eq!(
            parse(&[0xC1, 0x00], CLIENT),
            Err(WsError::ReservedBitsSet { bits: RSV1 })
        );
        let deflate = HeaderRules {
            expect_masked: false,
            allowed_rsv: RSV1,
        };
        assert_eq!(parse(&[0xC1, 0x00], deflate).unwrap().rsv, RSV1);
        assert_eq!(
            parse(&[0xA1, 0x00], deflate),
            Err(WsError::ReservedBitsSet { bits: RSV2 })
        );
        // A continuation or a control frame never carries them (RFC 7692 §6).
        for b0 in [0xC0u8, 0xC9] {
            assert_eq!(
                parse(&[b0, 0x00], deflate),
                Err(WsError::ReservedBitsSet { bits: RSV1 })
            );
        }
    }

    #[test]
    fn fragmented_control_frames_fail_with_1002() {
        for opcode in [0x8u8, 0x9, 0xA] {
            let err = parse(&[opcode, 0x00], CLIENT).unwrap_err();
            assert_eq!(
                (err, err.close_code()),
                (WsError::ControlFrameFragmented, 1002)
            );
        }
    }

    #[test]
    fn control_payloads_over_125_bytes_fail_with_1002() {
        assert_eq!(parse(&[0x89, 125], CLIENT).unwrap().payload_len, 125);
        let err = parse(&[0x89, 126, 0x00, 0x7E], CLIENT).unwrap_err();
        assert_eq!(err, WsError::ControlFrameTooLong { size: 126 });
        assert_eq!(err.close_code(), 1002);
    }

    #[test]
    fn mask_bit_must_match_the_role() {
        assert_eq!(
            parse(&[0x82, 0x00], SERVER),
            Err(WsError::UnmaskedClientFrame)
        );
        assert_eq!(
            parse(&[0x82, 0x80, 1, 2, 3, 4], CLIENT),
            Err(WsError::MaskedServerFrame)
        );
        assert_eq!(
            parse(&[0x82, 0x80, 1, 2, 3, 4], SERVER).unwrap().mask,
            Some([1, 2, 3, 4])
        );
    }

    #[test]
    fn non_minimal_lengths_fail_with_1002() {
        assert_eq!(
            parse(&[0x82, 126, 0, 125], CLIENT),
            Err(WsError::NonMinimalLength)
        );
        let long = [0x82, 127, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF];
        assert_eq!(parse(&long, CLIENT), Err(WsError::NonMinimalLength));
        assert_eq!(WsError::NonMinimalLength.close_code(), 1002);
    }

    #[test]
    fn a_64_bit_length_with_its_top_bit_set_fails_with_1002() {
        let huge = [0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(parse(&huge, CLIENT), Err(WsError::LengthOverflow));
    }

    #[test]
    fn a_one_byte_close_payload_fails_with_1002() {
        assert_eq!(
            parse(&[0x88, 0x01], CLIENT),
            Err(WsError::CloseFrameTooShort)
        );
        assert_eq!(parse(&[0x88, 0x00], CLIENT).unwrap().payload_len, 0);
    }
}
