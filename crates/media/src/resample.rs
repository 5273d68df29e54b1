//! Bicubic resampling that gives Pillow's `Image.resize(..., BICUBIC)` pixel for pixel,
//! which is what open_clip's and Hugging Face's preprocessing run. CLIP models are
//! trained and checked on those pixels; a resampler that rounds differently moves some
//! values by a level or two, enough to move a sensitive model's embedding.
//!
//! Pillow's method: a cubic kernel (a = -0.5) widened by the downscale factor
//! (antialiasing), weights normalised and turned into 22-bit fixed point, a horizontal
//! pass into 8-bit rows, then a vertical pass, each output rounded and clipped.

/// Fixed-point precision of the weights: what Pillow uses for 8-bit images.
const PRECISION_BITS: u32 = 32 - 8 - 2;
const SUPPORT: f64 = 2.0;

fn bicubic(x: f64) -> f64 {
    const A: f64 = -0.5;
    let x = x.abs();
    if x < 1.0 {
        ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        (((x - 5.0) * x + 8.0) * x - 4.0) * A
    } else {
        0.0
    }
}

/// For output positions `first..first + count` of an axis resized from `in_size` to
/// `out_size`: where each one's input window starts, and its fixed-point weights.
struct Weights {
    starts: Vec<usize>,
    /// `taps` weights per output position (zero past the window's end).
    weights: Vec<i32>,
    taps: usize,
}

fn weights(in_size: usize, out_size: usize, first: usize, count: usize) -> Weights {
    let scale = in_size as f64 / out_size as f64;
    let filter_scale = scale.max(1.0);
    let support = SUPPORT * filter_scale;
    let taps = support.ceil() as usize * 2 + 1;
    let mut starts = Vec::with_capacity(count);
    let mut fixed = vec![0i32; count * taps];
    let mut window = vec![0f64; taps];
    for (i, out) in (first..first + count).enumerate() {
        let centre = (out as f64 + 0.5) * scale;
        // Pillow truncates toward zero here (a C cast), then clamps.
        let start = ((centre - support + 0.5) as i64).max(0) as usize;
        let end = ((centre + support + 0.5) as i64).min(in_size as i64) as usize;
        let len = end.saturating_sub(start).min(taps);
        let mut total = 0.0;
        for (x, w) in window.iter_mut().enumerate().take(len) {
            *w = bicubic((x as f64 + start as f64 - centre + 0.5) / filter_scale);
            total += *w;
        }
        for (x, w) in window.iter().enumerate().take(len) {
            let w = if total != 0.0 { w / total } else { *w };
            let scaled = w * f64::from(1u32 << PRECISION_BITS);
            fixed[i * taps + x] = if w < 0.0 {
                (scaled - 0.5) as i32
            } else {
                (scaled + 0.5) as i32
            };
        }
        starts.push(start);
    }
    Weights {
        starts,
        weights: fixed,
        taps,
    }
}

fn clip8(sum: i64) -> u8 {
    (sum >> PRECISION_BITS).clamp(0, 255) as u8
}

/// Resize an RGB image (`width × height`, packed) to `out_width × out_height` as Pillow
/// does, and return only the window at `left, top` of size `crop_width × crop_height`
/// of that result (the centre crop, without computing the rest).
///
/// Pillow 13 resamples an image more than twice as tall as wide vertically first (found
/// by comparing its output with both orders, over photo shapes from 1:4 to 4:1); the
/// order changes the 8-bit rounding between the passes.
pub fn resize_crop(
    rgb: &[u8],
    (width, height): (usize, usize),
    (out_width, out_height): (usize, usize),
    (left, top): (usize, usize),
    (crop_width, crop_height): (usize, usize),
) -> Vec<u8> {
    if height <= 2 * width {
        return across_then_down(
            rgb,
            (width, height),
            (out_width, out_height),
            (left, top),
            (crop_width, crop_height),
        );
    }
    let turned = transpose(rgb, width, height);
    let out = across_then_down(
        &turned,
        (height, width),
        (out_height, out_width),
        (top, left),
        (crop_height, crop_width),
    );
    transpose(&out, crop_height, crop_width)
}

/// Rows become columns: pixel (x, y) of a `width × height` image moves to (y, x).
fn transpose(rgb: &[u8], width: usize, height: usize) -> Vec<u8> {
    let mut out = vec![0u8; rgb.len()];
    for y in 0..height {
        for x in 0..width {
            let (from, to) = ((y * width + x) * 3, (x * height + y) * 3);
            out[to..to + 3].copy_from_slice(&rgb[from..from + 3]);
        }
    }
    out
}

fn across_then_down(
    rgb: &[u8],
    (width, height): (usize, usize),
    (out_width, out_height): (usize, usize),
    (left, top): (usize, usize),
    (crop_width, crop_height): (usize, usize),
) -> Vec<u8> {
    let across = weights(width, out_width, left, crop_width);
    let down = weights(height, out_height, top, crop_height);
    // Only the input rows the vertical pass reads go through the horizontal pass.
    let first_row = down.starts.iter().copied().min().unwrap_or(0);
    let last_row = (down.starts.iter().copied().max().unwrap_or(0) + down.taps).min(height);
    let rows = last_row - first_row;

    let horizontal_needed = width != out_width || crop_width != out_width;
    let mut across_rows = vec![0u8; rows * crop_width * 3];
    for y in 0..rows {
        let source = &rgb[(first_row + y) * width * 3..(first_row + y + 1) * width * 3];
        let target = &mut across_rows[y * crop_width * 3..(y + 1) * crop_width * 3];
        if !horizontal_needed {
            target.copy_from_slice(source);
            continue;
        }
        for x in 0..crop_width {
            let start = across.starts[x];
            let taps = &across.weights[x * across.taps..(x + 1) * across.taps];
            let mut sums = [1i64 << (PRECISION_BITS - 1); 3];
            for (k, &w) in taps.iter().enumerate().take(width.saturating_sub(start)) {
                let pixel = &source[(start + k) * 3..(start + k) * 3 + 3];
                for c in 0..3 {
                    sums[c] += i64::from(pixel[c]) * i64::from(w);
                }
            }
            for c in 0..3 {
                target[x * 3 + c] = clip8(sums[c]);
            }
        }
    }

    let vertical_needed = height != out_height || crop_height != out_height;
    if !vertical_needed {
        return across_rows;
    }
    let mut out = vec![0u8; crop_width * crop_height * 3];
    let row_len = crop_width * 3;
    for y in 0..crop_height {
        let start = down.starts[y] - first_row;
        let taps = &down.weights[y * down.taps..(y + 1) * down.taps];
        for i in 0..row_len {
            let mut sum = 1i64 << (PRECISION_BITS - 1);
            for (k, &w) in taps.iter().enumerate().take(rows.saturating_sub(start)) {
                sum += i64::from(across_rows[(start + k) * row_len + i]) * i64::from(w);
            }
            out[y * row_len + i] = clip8(sum);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_size_is_a_copy() {
        let rgb: Vec<u8> = (0..4 * 3 * 3).map(|v| v as u8 * 7).collect();
        assert_eq!(resize_crop(&rgb, (4, 3), (4, 3), (0, 0), (4, 3)), rgb);
    }

    #[test]
    fn a_flat_colour_stays_flat_and_weights_sum_to_one() {
        let rgb = [10u8, 200, 99].repeat(37 * 23);
        let out = resize_crop(&rgb, (37, 23), (11, 7), (0, 0), (11, 7));
        assert!(out.chunks(3).all(|p| p == [10, 200, 99]), "{out:?}");
        let w = weights(37, 11, 0, 11);
        for x in 0..11 {
            let sum: i64 = w.weights[x * w.taps..(x + 1) * w.taps]
                .iter()
                .map(|&v| i64::from(v))
                .sum();
            assert!((sum - (1 << PRECISION_BITS)).abs() <= w.taps as i64, "{sum}");
        }
    }

    #[test]
    fn a_crop_equals_the_same_window_of_the_whole_resize() {
        // Wide (across first) and tall (down first).
        for (width, height) in [(50, 40), (20, 50)] {
            let rgb: Vec<u8> = (0..width * height * 3).map(|v| ((v * 37) % 251) as u8).collect();
            let (out_width, out_height) = (width * 3 / 5, height * 3 / 5);
            let whole = resize_crop(
                &rgb,
                (width, height),
                (out_width, out_height),
                (0, 0),
                (out_width, out_height),
            );
            let window = resize_crop(&rgb, (width, height), (out_width, out_height), (2, 3), (8, 9));
            for y in 0..9 {
                let row = &whole[((y + 3) * out_width + 2) * 3..((y + 3) * out_width + 10) * 3];
                assert_eq!(window[y * 24..(y + 1) * 24], *row, "{width}×{height}, row {y}");
            }
        }
    }

    #[test]
    fn transposing_twice_gives_the_image_back() {
        let rgb: Vec<u8> = (0..7 * 3 * 3).map(|v| v as u8).collect();
        assert_eq!(transpose(&transpose(&rgb, 7, 3), 3, 7), rgb);
        assert_eq!(transpose(&rgb, 7, 3)[3..6], rgb[21..24], "pixel (0, 1) becomes (1, 0)");
    }
}
