//! The LZ77 window one direction of a connection shares: the last bytes that went through its
//! compressed messages, which the next message may refer back to (RFC 7692 §7.2.1: context
//! takeover). Kept by the session between messages in place of a whole zlib context.

/// At most `2^window_bits` bytes of what was compressed (or decompressed) last.
#[derive(Debug, Default)]
pub struct History {
    bytes: Vec<u8>,
    window: usize,
}

impl History {
    /// An empty history for a window of `2^window_bits` bytes.
    pub fn new(window_bits: u8) -> Self {
        Self {
            bytes: Vec::new(),
            window: 1 << window_bits,
        }
    }

    /// The bytes kept, oldest first.
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes
    }

    /// Bytes of memory held.
    pub fn capacity(&self) -> usize {
        self.bytes.capacity()
    }

    /// Appends `data`, dropping what falls out of the window. The buffer grows geometrically
    /// but never past the window.
    pub fn push(&mut self, data: &[u8]) {
        let window = self.window;
        if data.len() >= window {
            self.bytes.clear();
            self.bytes.reserve_exact(window);
            self.bytes.extend_from_slice(&data[data.len() - window..]);
            return;
        }
        let excess = (self.bytes.len() + data.len()).saturating_sub(window);
        self.bytes.drain(..excess);
        let needed = self.bytes.len() + data.len();
        if needed > self.bytes.capacity() {
            let target = needed.max(self.bytes.capacity() * 2).min(window);
            self.bytes.reserve_exact(target - self.bytes.len());
        }
        self.bytes.extend_from_slice(data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_window_of_bytes() {
        let mut history = History::new(9);
        let data: Vec<u8> = (0..=255u8).cycle().take(700).collect();
        history.push(&data[..100]);
        assert_eq!(history.as_slice(), &data[..100]);
        history.push(&data[100..600]);
        assert_eq!(history.as_slice(), &data[88..600]);
        history.push(&data[600..]);
        assert_eq!(history.as_slice(), &data[188..]);
        history.push(&data);
        assert_eq!(history.as_slice(), &data[188..]);
        assert!(history.capacity() <= 512);
    }

    #[test]
    fn small_messages_grow_it_geometrically_up_to_the_window() {
        let mut history = History::new(12);
        history.push(&[1; 100]);
        let mut grew = 0;
        let mut capacity = history.capacity();
        for _ in 0..100 {
            history.push(&[2; 100]);
            if history.capacity() != capacity {
                grew += 1;
                capacity = history.capacity();
            }
        }
        assert!(grew <= 7, "{grew} reallocations");
        assert_eq!(history.capacity(), 4096);
    }
}
