"""The chunked transfer coding as streams: Ktor's `decodeChunked` and `encodeChunked`.

`decode_chunked` starts a job that reads a chunked body from a byte stream with the Rust
`ChunkedDecoder` (RFC 9112 §7.1: strict size lines, bounded extensions, trailers kept, CRLF after
every chunk, EOF before the last chunk an error) and offers the decoded bytes as a stream. Bytes
after the body are kept in `DecoderJob.remaining`, for the next pipelined message. Malformed input
fails the decoded stream with the `RemoteProtocolError` the decoder raised.
"""

from __future__ import annotations

from collections.abc import AsyncIterable

import anyio
import anyio.abc

from wsrs._loop.sync import Deferred, new_parking
from wsrs._wsrs import ChunkedDecoder, HttpLimits, encode_chunk, encode_last_chunk
from wsrs.exceptions import ConnectionClosedError, RemoteProtocolError
from wsrs.http.messages import BodyStream, Headers

__all__ = ["DecoderJob", "decode_chunked", "encode_chunked"]


class DecoderJob:
    """A running `decode_chunked`: its decoded `channel`, and what it leaves behind."""

    def __init__(self, high_water: int) -> None:
        self._full = False
        self._space = new_parking()
        self.channel = BodyStream(done=False, on_full=self._on_full, high_water=high_water)
        """The decoded bytes, as an anyio byte stream."""
        self.done = Deferred[None]()
        """Resolves when decoding has ended, successfully or not."""
        self.remaining = b""
        """Bytes read past the end of the chunked body (set once `done`)."""

    @property
    def trailers(self) -> Headers:
        """The trailer fields (complete once `done`)."""
        return self.channel.trailers

    def _on_full(self, full: bool) -> None:
        self._full = full
        if not full:
            self._space.wake()

    async def _wait_for_space(self) -> None:
        while self._full:
            await self._space.park()


def decode_chunked(
    task_group: anyio.abc.TaskGroup,
    input: anyio.abc.ByteReceiveStream,
    *,
    limits: HttpLimits | None = None,
    high_water: int = 64 * 1024,
) -> DecoderJob:
    """Start decoding the chunked body read from `input` in `task_group`.

    Reading `input` pauses while more than `high_water` decoded bytes wait in `channel`.
    """
    job = DecoderJob(high_water)
    task_group.start_soon(_decode, job, input, ChunkedDecoder(limits))
    return job


async def _decode(
    job: DecoderJob, input: anyio.abc.ByteReceiveStream, decoder: ChunkedDecoder
) -> None:
    channel = job.channel
    try:
        while not decoder.done:
            await job._wait_for_space()
            try:
                data = await input.receive()
            except anyio.EndOfStream:
                decoder.feed_eof()
                break
            for piece in decoder.feed(data):
                channel.feed(piece)
            if decoder.error is not None:
                raise decoder.error
        job.remaining = decoder.take_trailing()
        channel.end(decoder.trailers)
    except RemoteProtocolError as error:
        channel.fail(error)
    except BaseException as error:
        # Readers outside this task must not wait for ever: the input was lost or cancelled.
        lost = ConnectionClosedError(None, None)
        lost.__cause__ = error
        channel.fail(lost)
        raise
    finally:
        job.done.set(None)


async def encode_chunked(
    output: anyio.abc.ByteSendStream,
    input: anyio.abc.ByteReceiveStream | AsyncIterable[bytes],
    trailers: list[tuple[str, str]] | None = None,
) -> None:
    """Write everything read from `input` to `output` as chunks, then the last chunk.

    Empty reads are skipped (a zero-size chunk would end the body). If reading `input` fails,
    the error propagates and no last chunk is written, so the receiver sees an incomplete body.
    """
    async for piece in input:
        if piece:
            await output.send(encode_chunk(piece))
    await output.send(encode_last_chunk(trailers or []))
