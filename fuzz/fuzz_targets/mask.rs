//! Invariant: every fast masking path (in place, while copying, appending, into fresh memory,
//! from an offset) gives exactly what the one-byte-at-a-time reference gives, at any alignment.
//!
//! Input layout: bytes 0-3 the key, byte 4 the alignment (low 3 bits) and the start offset
//! (next 2 bits), the rest is the payload.
#![no_main]

use _wsrs::ws::mask::{
    apply_mask, apply_mask_scalar, extend_masked, mask_copy, mask_copy_scalar, rotate_key,
    vec_filled_by,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let [k0, k1, k2, k3, shape, data @ ..] = input else {
        return;
    };
    let key = [*k0, *k1, *k2, *k3];
    let align = usize::from(shape & 7);
    let offset = usize::from((shape >> 3) & 3);

    let mut expected = data.to_vec();
    apply_mask_scalar(&mut expected, key);

    // In place, from a misaligned start.
    let mut buf = vec![0u8; align + data.len()];
    buf[align..].copy_from_slice(data);
    apply_mask(&mut buf[align..], key);
    assert_eq!(buf[align..], expected[..]);

    // While copying, source and destination misaligned differently.
    let mut out = vec![0u8; data.len() + 7];
    let dst = &mut out[7 - align..7 - align + data.len()];
    mask_copy(dst, &buf[align..], key);
    assert_eq!(dst, data, "masking twice restores the data");
    let mut reference = vec![0u8; data.len()];
    mask_copy_scalar(&mut reference, data, key);
    assert_eq!(reference, expected);

    // Appending, and into fresh memory behind a header.
    let mut appended = vec![0xEE; align];
    extend_masked(&mut appended, data, key);
    assert_eq!(appended[align..], expected[..]);
    let fresh = vec_filled_by(align + data.len(), |writer| {
        writer.put(&vec![0xEE; align]);
        writer.put_masked(data, key);
    });
    assert_eq!(fresh[align..], expected[..]);

    // A piece starting `offset` bytes into the payload.
    if offset <= data.len() {
        let mut piece = data[offset..].to_vec();
        apply_mask(&mut piece, rotate_key(key, offset));
        assert_eq!(piece, expected[offset..]);
    }
});
