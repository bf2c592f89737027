//! The incremental frame decoder: bytes in, events out, RFC 6455 enforced as the bytes arrive.
//!
//! Rules, beyond the per-frame ones of `header`:
//! - Fragmentation (§5.4): a continuation needs an open message; a new Text or Binary frame may not
//!   start while one is open; control frames may come between fragments.
//! - Limits: a frame over `max_frame_size`, or (when reassembling) a message that a fragment would
//!   take over it, fails with 1009 as soon as the header is read, before any payload is stored.
//! - Text (§8.1): UTF-8 is checked piece by piece as the payload arrives, across fragments and
//!   across reads, failing at the first impossible byte (1007). A Close reason likewise, and its
//!   code as soon as its two bytes are in (§7.4, 1002).
//! - After a Close frame nothing more is decoded (§5.5.1); after a violation neither.
//! - permessage-deflate (RFC 7692), when enabled: a data message whose first frame has RSV1 is
//!   inflated as its payload arrives, the output capped at `max_frame_size` (1009) and, for
//!   text, checked as UTF-8 as it is produced; it comes out as a plain Text or Binary message.
//!   The compressed bytes are capped at `max_frame_size` too.
//!
//! Memory: the decoder never stores raw frame bytes beyond an unfinished header (at most 14
//! bytes). Payload is unmasked as it arrives into one buffer that holds the message (or, in raw
//! mode, the frame) received so far, grown by what actually arrived. A frame wholly inside the
//! input goes straight from the input to the sink, still masked, so the sink unmasks while copying
//! it once into its output. Buffers left empty and large after a `feed` are released.
//! A caller with a better place for a large Binary message may take it over as it arrives
//! (`pending_binary`, `begin_binary`, `hand_over`): the decoder then goes on with the next header.

use std::mem::MaybeUninit;

use crate::ws::close::ClosePayloadCheck;
use crate::ws::deflate::MessageInflater;
use crate::ws::error::{UsageError, WsError};
use crate::ws::event::{Event, EventSink, Payload};
use crate::ws::header::{
    parse_header, FrameHeader, HeaderRules, MAX_CONTROL_PAYLOAD_LEN, MAX_HEADER_LEN, RSV1,
};
use crate::ws::mask::{extend_masked, mask_copy, rotate_key, UninitWriter};
use crate::ws::opcode::{FrameType, OpCode};
use crate::ws::utf8::{validate, Utf8Validator};

/// Buffer capacity kept between two `feed` calls; anything larger is released once empty, so an
/// idle connection holds almost nothing.
pub const IDLE_BUFFER_CAPACITY: usize = 1024;

/// Whole text frames up to this long are unmasked on the stack to be checked, not in `data`.
const TEXT_SCRATCH_LEN: usize = 1024;

/// Compressed payload pieces at least this big are inflated through [`EventSink::unblocked`]
/// (with the GIL released, in the bindings).
pub const UNBLOCK_INFLATE_MIN: usize = 64 * 1024;

/// The frame whose payload is being received.
#[derive(Debug, Clone, Copy)]
struct Incoming {
    /// The type, continuation frames taking their message's.
    frame_type: FrameType,
    fin: bool,
    rsv: u8,
    /// True for a continuation frame.
    continuation: bool,
    key: Option<[u8; 4]>,
    len: usize,
    received: usize,
    body: Body,
}

/// What the payload of a data frame holds, which decides how it is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    /// Bytes to pass on as they are (binary, or text under an extension's bits).
    Opaque,
    /// Text to validate as it arrives (a Text message without extension bits).
    Utf8,
    /// DEFLATE data to inflate (a message whose first frame had RSV1, when negotiated).
    Deflate,
}

impl Incoming {
    fn utf8(&self) -> bool {
        self.body == Body::Utf8
    }

    fn compressed(&self) -> bool {
        self.body == Body::Deflate
    }
}

/// A Binary message arriving as one frame, partly received (see [`FrameDecoder::pending_binary`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingBinary {
    /// The payload length.
    pub len: usize,
    /// Payload bytes received so far.
    pub received: usize,
    /// The key to unmask the rest with, from its first byte; None for an unmasked frame.
    pub key: Option<[u8; 4]>,
}

/// The fragmented data message between its first and its final frame.
#[derive(Debug, Clone, Copy)]
struct OpenMessage {
    frame_type: FrameType,
    rsv: u8,
    compressed: bool,
}

/// Decodes RFC 6455 frames for one endpoint; see the module documentation.
#[derive(Debug)]
pub struct FrameDecoder {
    rules: HeaderRules,
    reassemble: bool,
    max_frame_size: usize,
    header: [u8; MAX_HEADER_LEN],
    header_len: u8,
    frame: Option<Incoming>,
    message: Option<OpenMessage>,
    /// Unmasked payload: the open message (reassembling) or frame (raw) so far, then the control
    /// frame arriving in pieces, if any (cut off again once it is complete); scratch for text
    /// over `TEXT_SCRATCH_LEN`.
    data: Vec<u8>,
    utf8: Utf8Validator,
    close_check: ClosePayloadCheck,
    error: Option<WsError>,
    closed: bool,
    /// permessage-deflate's decompressor, when negotiated.
    inflater: Option<Box<MessageInflater>>,
    /// Compressed bytes received of the message being inflated.
    compressed_len: usize,
}

impl FrameDecoder {
    /// A decoder for a client (which refuses masked frames) or a server (which requires them).
    /// With `reassemble`, data messages come out whole; otherwise every frame comes out as it is.
    /// `allowed_rsv` holds the RSV bits extensions negotiated (`RSV1` = 0x4, `RSV2` = 0x2,
    /// `RSV3` = 0x1, as in `(first byte >> 4) & 7`).
    pub fn new(client: bool, max_frame_size: usize, reassemble: bool, allowed_rsv: u8) -> Self {
        Self {
            rules: HeaderRules {
                expect_masked: !client,
                allowed_rsv: allowed_rsv & 0x7,
            },
            reassemble,
            max_frame_size,
            header: [0; MAX_HEADER_LEN],
            header_len: 0,
            frame: None,
            message: None,
            data: Vec::new(),
            utf8: Utf8Validator::new(),
            close_check: ClosePayloadCheck::default(),
            error: None,
            closed: false,
            inflater: None,
            compressed_len: 0,
        }
    }

    /// Inflates the messages that carry RSV1 (permessage-deflate), which becomes allowed.
    ///
    /// # Errors
    /// [`UsageError::DeflateNeedsMessages`] for a decoder in raw mode.
    pub fn enable_deflate(&mut self, inflater: MessageInflater) -> Result<(), UsageError> {
        if !self.reassemble {
            return Err(UsageError::DeflateNeedsMessages);
        }
        self.rules.allowed_rsv |= RSV1;
        self.inflater = Some(Box::new(inflater));
        Ok(())
    }

    /// Bytes the decompressor keeps between messages (its window), 0 without one.
    pub fn deflate_memory(&self) -> usize {
        self.inflater
            .as_ref()
            .map_or(0, |inflater| inflater.memory())
    }

    /// The cap on one frame and on one reassembled message.
    pub const fn max_frame_size(&self) -> usize {
        self.max_frame_size
    }

    /// Changes the cap; it applies from the next frame header.
    pub fn set_max_frame_size(&mut self, max_frame_size: usize) {
        self.max_frame_size = max_frame_size;
    }

    /// The violation that stopped decoding, if any.
    pub const fn error(&self) -> Option<WsError> {
        self.error
    }

    /// True once a Close frame has been decoded.
    pub const fn is_closed(&self) -> bool {
        self.closed
    }

    /// Bytes held for an unfinished header, frame or message.
    pub fn buffered(&self) -> usize {
        usize::from(self.header_len) + self.data.len()
    }

    /// Decodes `input`, handing every complete event to `sink` in order. A violation is recorded
    /// in [`FrameDecoder::error`] after the events before it; from then on, and after a Close
    /// frame, input is ignored.
    ///
    /// # Errors
    /// Only the sink's own failures, which stop decoding where they happen.
    pub fn feed<S: EventSink>(&mut self, mut input: &[u8], sink: &mut S) -> Result<(), S::Error> {
        let result = self.decode(&mut input, sink);
        if self.data.is_empty() && self.data.capacity() > IDLE_BUFFER_CAPACITY {
            self.data = Vec::new();
        }
        result
    }

    fn decode<S: EventSink>(&mut self, input: &mut &[u8], sink: &mut S) -> Result<(), S::Error> {
        while self.error.is_none() && !self.closed {
            let frame = match self.frame {
                Some(frame) => frame,
                None if input.is_empty() => break,
                None => match self.next_frame(input) {
                    Ok(Some(frame)) => {
                        if frame.compressed() && !frame.continuation {
                            self.compressed_len = 0;
                            if let Some(inflater) = &mut self.inflater {
                                inflater.begin();
                            }
                        }
                        frame
                    }
                    Ok(None) => break,
                    Err(err) => {
                        self.fail(err);
                        break;
                    }
                },
            };
            let whole = frame.received == 0 && input.len() >= frame.len;
            if whole && frame.frame_type.is_control() {
                let (payload, rest) = input.split_at(frame.len);
                *input = rest;
                self.frame = None;
                self.emit_whole_control(&frame, payload, sink)?;
                continue;
            }
            let direct = whole
                && !frame.compressed()
                && (!self.reassemble || (frame.fin && self.message.is_none()));
            if direct {
                let (payload, rest) = input.split_at(frame.len);
                *input = rest;
                self.frame = None;
                self.emit_direct(frame, payload, sink)?;
                continue;
            }
            let (chunk, rest) = input.split_at(input.len().min(frame.len - frame.received));
            *input = rest;
            let mut frame = frame;
            let received = if frame.compressed() && chunk.len() >= UNBLOCK_INFLATE_MIN {
                sink.unblocked(|| self.receive(&frame, chunk))
            } else {
                self.receive(&frame, chunk)
            };
            if let Err(err) = received {
                self.fail(err);
                break;
            }
            frame.received += chunk.len();
            if frame.received < frame.len {
                self.frame = Some(frame);
                break;
            }
            self.frame = None;
            self.finish(&frame, sink)?;
        }
        Ok(())
    }

    /// The next frame once its header is complete and passes every rule; `None` for more input.
    fn next_frame(&mut self, input: &mut &[u8]) -> Result<Option<Incoming>, WsError> {
        match self.take_header(input)? {
            Some(header) => self.start(header).map(Some),
            None => Ok(None),
        }
    }

    /// Takes header bytes from `input`: the header once complete, or `None` (all input kept).
    fn take_header(&mut self, input: &mut &[u8]) -> Result<Option<FrameHeader>, WsError> {
        let have = usize::from(self.header_len);
        if have == 0 {
            if let Some((header, len)) = parse_header(input, self.rules)? {
                *input = &input[len..];
                return Ok(Some(header));
            }
            // Incomplete, so shorter than the longest header.
            self.header[..input.len()].copy_from_slice(input);
            self.header_len = input.len() as u8;
            *input = &[];
            return Ok(None);
        }
        let take = input.len().min(MAX_HEADER_LEN - have);
        self.header[have..have + take].copy_from_slice(&input[..take]);
        if let Some((header, len)) = parse_header(&self.header[..have + take], self.rules)? {
            // The stored bytes alone were incomplete, so `len > have`.
            *input = &input[len - have..];
            self.header_len = 0;
            Ok(Some(header))
        } else {
            self.header_len = (have + take) as u8;
            *input = &input[take..];
            Ok(None)
        }
    }

    /// Applies the rules on the sequence of frames and on sizes to a new header.
    fn start(&self, header: FrameHeader) -> Result<Incoming, WsError> {
        let (frame_type, continuation, rsv, compressed) = match (header.opcode, self.message) {
            (OpCode::Continuation, Some(open)) => {
                (open.frame_type, true, open.rsv, open.compressed)
            }
            (OpCode::Continuation, None) => return Err(WsError::UnexpectedContinuation),
            (OpCode::Type(t), Some(_)) if !t.is_control() => {
                return Err(WsError::MessageNotFinished)
            }
            (OpCode::Type(t), _) => (
                t,
                false,
                header.rsv,
                header.rsv & RSV1 != 0 && self.inflater.is_some(),
            ),
        };
        let body = if compressed {
            Body::Deflate
        } else if frame_type == FrameType::Text && rsv == 0 {
            Body::Utf8
        } else {
            Body::Opaque
        };
        let max = self.max_frame_size;
        let len = match usize::try_from(header.payload_len) {
            Ok(len) if len <= max => len,
            _ => {
                return Err(WsError::FrameTooBig {
                    size: header.payload_len,
                    max: max as u64,
                })
            }
        };
        let so_far = if compressed {
            self.compressed_len
        } else {
            self.data.len()
        };
        if continuation && self.reassemble && so_far.saturating_add(len) > max {
            let size = so_far as u64 + header.payload_len;
            return Err(WsError::MessageTooBig {
                size,
                max: max as u64,
            });
        }
        Ok(Incoming {
            frame_type,
            fin: header.fin,
            rsv: header.rsv,
            continuation,
            key: header.mask,
            len,
            received: 0,
            body,
        })
    }

    /// A data frame wholly inside the input: validated and handed over without being stored,
    /// except text, which is unmasked once to be checked: on the stack up to `TEXT_SCRATCH_LEN`
    /// (so a session that received text keeps no buffer for it), else into `data`.
    fn emit_direct<S: EventSink>(
        &mut self,
        frame: Incoming,
        payload: &[u8],
        sink: &mut S,
    ) -> Result<(), S::Error> {
        let message_start = !frame.continuation;
        // Not zeroed first: only the bytes written are read.
        let mut scratch = [MaybeUninit::<u8>::uninit(); TEXT_SCRATCH_LEN];
        let payload = match frame.key {
            Some(key) if frame.utf8() && payload.len() <= TEXT_SCRATCH_LEN => {
                let mut writer = UninitWriter::new(&mut scratch[..payload.len()]);
                writer.put_masked(payload, key);
                let Some(unmasked) = writer.finish() else {
                    unreachable!("the scratch is exactly as long as the payload")
                };
                Payload::Plain(unmasked)
            }
            Some(key) if frame.utf8() => {
                self.data.clear();
                extend_masked(&mut self.data, payload, key);
                Payload::Plain(&self.data)
            }
            Some(key) => Payload::Masked { data: payload, key },
            None => Payload::Plain(payload),
        };
        let event = if self.reassemble {
            // A whole message in one frame.
            match (frame.frame_type, payload) {
                (FrameType::Text, Payload::Plain(bytes)) if frame.utf8() => {
                    if let Ok(text) = validate(bytes) {
                        Event::Text(text)
                    } else {
                        self.fail(WsError::InvalidUtf8);
                        return Ok(());
                    }
                }
                (FrameType::Binary, _) if frame.rsv == 0 => Event::Binary(payload),
                (frame_type, _) => Event::Frame {
                    frame_type,
                    fin: true,
                    rsv: frame.rsv,
                    payload,
                },
            }
        } else {
            if frame.utf8() {
                if let Payload::Plain(bytes) = payload {
                    let checked = self.utf8.feed(bytes);
                    let checked = checked.and_then(|()| {
                        if frame.fin {
                            self.utf8.finish()
                        } else {
                            Ok(())
                        }
                    });
                    if let Err(err) = checked {
                        self.fail(err);
                        return Ok(());
                    }
                }
            }
            Event::Frame {
                frame_type: frame.frame_type,
                fin: frame.fin,
                rsv: frame.rsv,
                payload,
            }
        };
        let result = sink.event(event);
        self.data.clear();
        self.track_message(&frame, message_start);
        result
    }

    /// A control frame wholly inside the input: unmasked on the stack, checked, handed over.
    fn emit_whole_control<S: EventSink>(
        &mut self,
        frame: &Incoming,
        payload: &[u8],
        sink: &mut S,
    ) -> Result<(), S::Error> {
        let mut buffer = [0u8; MAX_CONTROL_PAYLOAD_LEN];
        let unmasked = &mut buffer[..payload.len()];
        match frame.key {
            Some(key) => mask_copy(unmasked, payload, key),
            None => unmasked.copy_from_slice(payload),
        }
        if frame.frame_type == FrameType::Close {
            if let Err(err) = self.close_check.feed(unmasked, 0) {
                self.close_check = ClosePayloadCheck::default();
                self.fail(err);
                return Ok(());
            }
        }
        self.end_control(frame, unmasked, sink)
    }

    /// Hands over a complete control frame whose payload (unmasked, and for a Close checked as
    /// it arrived) is `payload`; a Close ends decoding.
    fn end_control<S: EventSink>(
        &mut self,
        frame: &Incoming,
        payload: &[u8],
        sink: &mut S,
    ) -> Result<(), S::Error> {
        if frame.frame_type == FrameType::Close {
            let checked = self.close_check.finish();
            self.close_check = ClosePayloadCheck::default();
            if let Err(err) = checked {
                self.fail(err);
                return Ok(());
            }
            self.closed = true;
        }
        let event = Event::Frame {
            frame_type: frame.frame_type,
            fin: true,
            rsv: 0,
            payload: Payload::Plain(payload),
        };
        let result = sink.event(event);
        if self.closed {
            self.release();
        }
        result
    }

    /// Stores and checks the next piece of the current frame's payload.
    fn receive(&mut self, frame: &Incoming, chunk: &[u8]) -> Result<(), WsError> {
        let key = frame.key.map(|key| rotate_key(key, frame.received));
        if frame.frame_type.is_control() {
            // After the open message's bytes, which stay as they are.
            match key {
                Some(key) => extend_masked(&mut self.data, chunk, key),
                None => self.data.extend_from_slice(chunk),
            }
            if frame.frame_type == FrameType::Close {
                let start = self.data.len() - frame.received - chunk.len();
                self.close_check.feed(&self.data[start..], frame.received)?;
            }
            return Ok(());
        }
        let start = self.data.len();
        if frame.compressed() {
            self.compressed_len += chunk.len();
            let inflated = match &mut self.inflater {
                Some(inflater) => inflater.feed(chunk, key, &mut self.data, self.max_frame_size),
                None => Ok(()),
            };
            // Text inflated before a failure is checked first: it came first in the stream.
            self.check_inflated(frame, start)?;
            return inflated;
        }
        match key {
            Some(key) => extend_masked(&mut self.data, chunk, key),
            None => self.data.extend_from_slice(chunk),
        }
        if frame.utf8() {
            self.utf8.feed(&self.data[start..])?;
        }
        Ok(())
    }

    /// True when a compressed message inflates to text to validate (no other extension bits).
    fn inflates_to_text(&self, frame: &Incoming) -> bool {
        let rsv = self.message.map_or(frame.rsv, |open| open.rsv);
        frame.frame_type == FrameType::Text && rsv & !RSV1 == 0
    }

    /// Checks the text a compressed Text message inflated to from `start` on.
    fn check_inflated(&mut self, frame: &Incoming, start: usize) -> Result<(), WsError> {
        if self.inflates_to_text(frame) {
            self.utf8.feed(&self.data[start..])?;
        }
        Ok(())
    }

    /// Ends a compressed message: the tail, the last output, and the checks on both.
    fn finish_inflating(&mut self, frame: &Incoming) -> Result<(), WsError> {
        let start = self.data.len();
        let finished = match &mut self.inflater {
            Some(inflater) => inflater.finish(&mut self.data, self.max_frame_size),
            None => Ok(()),
        };
        self.check_inflated(frame, start)?;
        finished?;
        if self.inflates_to_text(frame) {
            self.utf8.finish()?;
        }
        Ok(())
    }

    /// Ends a frame received piece by piece: the last checks, then its event if one is due.
    fn finish<S: EventSink>(&mut self, frame: &Incoming, sink: &mut S) -> Result<(), S::Error> {
        if frame.frame_type.is_control() {
            // Its payload is the end of `data`, cut off again once handed over.
            let mut data = std::mem::take(&mut self.data);
            let start = data.len() - frame.len;
            let result = self.end_control(frame, &data[start..], sink);
            if self.error.is_none() && !self.closed {
                data.truncate(start);
                self.data = data;
            }
            return result;
        }
        let mut rsv = match self.message {
            Some(open) if frame.continuation => open.rsv,
            _ => frame.rsv,
        };
        if frame.compressed() && frame.fin {
            rsv &= !RSV1;
            if let Err(err) = self.finish_inflating(frame) {
                self.fail(err);
                return Ok(());
            }
        }
        if frame.utf8() && frame.fin {
            if let Err(err) = self.utf8.finish() {
                self.fail(err);
                return Ok(());
            }
        }
        let message_start = !frame.continuation;
        self.track_message(frame, message_start);
        if self.reassemble && !frame.fin {
            return Ok(());
        }
        let payload = Payload::Plain(&self.data);
        let event = match (self.reassemble, frame.frame_type, rsv) {
            (true, FrameType::Text, 0) => {
                // Checked piece by piece already; this second pass only proves it to the type.
                if let Ok(text) = validate(&self.data) {
                    Event::Text(text)
                } else {
                    self.fail(WsError::InvalidUtf8);
                    return Ok(());
                }
            }
            (true, FrameType::Binary, 0) => Event::Binary(payload),
            (true, frame_type, rsv) => Event::Frame {
                frame_type,
                fin: true,
                rsv,
                payload,
            },
            (false, frame_type, _) => Event::Frame {
                frame_type,
                fin: frame.fin,
                rsv: frame.rsv,
                payload,
            },
        };
        let result = sink.event(event);
        self.data.clear();
        result
    }

    /// Opens or closes the fragmented message as a data frame ends.
    fn track_message(&mut self, frame: &Incoming, message_start: bool) {
        if frame.fin {
            self.message = None;
        } else if message_start {
            self.message = Some(OpenMessage {
                frame_type: frame.frame_type,
                rsv: frame.rsv,
                compressed: frame.compressed(),
            });
        }
    }

    /// The Binary message being received when it comes as one frame (final, no RSV bit, no
    /// message open) of which some payload is still to come: where it stands, for a caller that
    /// would rather receive the rest into memory of its own ([`FrameDecoder::hand_over`]).
    pub fn pending_binary(&self) -> Option<PendingBinary> {
        let frame = self.frame?;
        (self.is_whole_binary(&frame) && self.error.is_none()).then(|| PendingBinary {
            len: frame.len,
            received: frame.received,
            key: frame.key.map(|key| rotate_key(key, frame.received)),
        })
    }

    /// The same hand-over at the start of a frame: when the decoder is between frames and `input`
    /// starts with the header of a Binary message in one frame that `input` does not hold whole,
    /// the header is checked as `feed` would check it and consumed, and the frame is handed over
    /// at once. Returns where it stands (nothing received) and the header's length: the caller
    /// receives the payload from `input[header_len..]` on. None leaves the decoder untouched.
    pub fn begin_binary(&mut self, input: &[u8]) -> Option<(PendingBinary, usize)> {
        if self.frame.is_some() || self.header_len != 0 || self.error.is_some() || self.closed {
            return None;
        }
        let (header, header_len) = parse_header(input, self.rules).ok()??;
        let frame = self.start(header).ok()?;
        (self.is_whole_binary(&frame) && input.len() - header_len < frame.len).then_some((
            PendingBinary {
                len: frame.len,
                received: 0,
                key: frame.key,
            },
            header_len,
        ))
    }

    /// True for a frame that is a whole Binary message without extension bits.
    fn is_whole_binary(&self, frame: &Incoming) -> bool {
        self.reassemble
            && frame.frame_type == FrameType::Binary
            && frame.fin
            && frame.rsv == 0
            && !frame.continuation
            && self.message.is_none()
    }

    /// Hands the frame of [`FrameDecoder::pending_binary`] over: its payload so far, unmasked,
    /// goes to `out`, and the decoder goes on with the next frame header. The caller receives the
    /// rest (unmasking it with the pending key) and delivers the message itself.
    ///
    /// # Panics
    /// If no frame is pending, or `out` has less room than the payload so far (caller bugs).
    pub fn hand_over(&mut self, out: &mut UninitWriter<'_>) {
        assert!(
            self.pending_binary().is_some(),
            "hand_over: no Binary frame pending"
        );
        out.put(&self.data);
        self.frame = None;
        self.data = Vec::new();
    }

    fn fail(&mut self, err: WsError) {
        self.error = Some(err);
        self.release();
    }

    /// Drops every partial state: nothing more will be decoded.
    fn release(&mut self) {
        self.frame = None;
        self.message = None;
        self.header_len = 0;
        self.data = Vec::new();
        if let Some(inflater) = &mut self.inflater {
            inflater.abort();
        }
    }
}

#[cfg(test)]
#[path = "decoder_tests.rs"]
mod tests;
