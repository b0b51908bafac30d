//! Matrix products written by hand, for the speed lesson: how a plain triple loop becomes
//! nearly as fast as a library's, step by step.
//!
//! The notebook writes the first two steps itself (the naive `i, j, k` loop, and the `i, k, j`
//! order whose inner loop runs along rows). This module holds the next ones, which need more
//! code than a cell should show:
//!
//! - [`blocked`] with [`Simd::Baseline`]: the product cut into blocks that stay in the caches, each block's rows and
//!   columns first copied ("packed") into the order the inner loop reads them, and the inner
//!   loop computing a small `MR × NR` tile of the result in local variables, which the
//!   compiler keeps in registers ("register blocking"). Compiled for the processor every x86-64
//!   has (SSE2: 4 floats per instruction, a multiply and an add apart).
//! - [`blocked`] with [`Simd::Avx2`] or [`Simd::Avx512`]: the same code compiled for AVX2 with
//!   fused multiply-add (8 floats per instruction, multiply and add in one) or AVX-512 (16
//!   floats), when the processor has them.
//! - [`threaded`]: the rows of the result split over several threads, each running the
//!   widest of these on its share.
//!
//! All take square row-major `n × n` matrices of `f32` and return the product `a · b`.

mod simd;

use crate::error::{Error, Result};

/// Rows of `a` in one packed block (the block's `MC × KC` floats fit in the L2 cache).
const MC: usize = 120;
/// Depth of one block: the inner loop's length (a `KC × NR` strip of `b` fits in the L1 cache).
const KC: usize = 256;

/// Which instructions the inner loop is compiled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Simd {
    /// The x86-64 baseline, SSE2 (or the only choice on other processors).
    Baseline,
    /// AVX2 and FMA: 8 floats per instruction, fused multiply-add.
    Avx2,
    /// AVX-512: 16 floats per instruction, fused multiply-add.
    Avx512,
}

impl Simd {
    /// The instruction sets this processor has, baseline first, widest last.
    pub fn available() -> Vec<Simd> {
        [Simd::Baseline, Simd::Avx2, Simd::Avx512]
            .into_iter()
            .filter(|&k| simd::has(k))
            .collect()
    }

    /// The widest instruction set this processor has.
    pub fn best() -> Simd {
        *Simd::available().last().unwrap_or(&Simd::Baseline)
    }

    /// A short description, e.g. `AVX2 + FMA (8 floats per instruction, fused multiply-add)`.
    pub fn describe(self) -> &'static str {
        match self {
            Simd::Baseline => "baseline SSE2 (4 floats per instruction, multiply and add apart)",
            Simd::Avx2 => "AVX2 + FMA (8 floats per instruction, fused multiply-add)",
            Simd::Avx512 => "AVX-512 (16 floats per instruction, fused multiply-add)",
        }
    }
}

fn check(a: &[f32], b: &[f32], n: usize) -> Result<()> {
    // n × n with a check: a caller's n may be too large for its square to be a length.
    let square = n.checked_mul(n).filter(|&nn| nn > 0);
    if square != Some(a.len()) || square != Some(b.len()) {
        let needs = square.map_or_else(|| format!("{n}²"), |nn| nn.to_string());
        return Err(Error::InvalidArgument(format!(
            "a product of two {n} × {n} matrices needs {needs} numbers in each; got {} and {}",
            a.len(),
            b.len()
        )));
    }
    Ok(())
}

/// `a · b` by the blocked, packed, register-tiled loops, compiled for `kind`; an error when
/// this processor lacks `kind` (see [`Simd::available`]).
pub fn blocked(a: &[f32], b: &[f32], n: usize, kind: Simd) -> Result<Vec<f32>> {
    check(a, b, n)?;
    if !simd::has(kind) {
        return Err(Error::InvalidArgument(format!(
            "this processor has no {kind:?} instructions; it has {:?} (Simd::available())",
            Simd::available()
        )));
    }
    let mut c = vec![0.0; n * n];
    simd::band(kind, a, b, &mut c, n, 0..n);
    Ok(c)
}

/// `a · b` by [`blocked`] with [`Simd::best`] on `threads` threads, each computing a band of rows.
pub fn threaded(a: &[f32], b: &[f32], n: usize, threads: usize) -> Result<Vec<f32>> {
    check(a, b, n)?;
    if threads == 0 {
        return Err(Error::InvalidArgument(
            "threads must be at least 1 (e.g. std::thread::available_parallelism())".into(),
        ));
    }
    let mut c = vec![0.0; n * n];
    let band = n.div_ceil(threads);
    let kind = Simd::best();
    std::thread::scope(|s| {
        for (t, rows) in c.chunks_mut(band * n).enumerate() {
            let first = t * band;
            let range = first..first + rows.len() / n;
            s.spawn(move || simd::band(kind, a, b, rows, n, range));
        }
    });
    Ok(c)
}

/// Computes one `MR × NR` tile of a product from a packed strip of `a` (`kc` columns of `MR`
/// values) and a packed strip of `b` (`kc` rows of `NR` values).
type Kernel<const MR: usize, const NR: usize> = fn(&[f32], &[f32], &mut [[f32; NR]; MR]);

/// The loops of one band of rows `rows` of the product, added into `c_band` (those rows only):
/// blocks of `KC` columns of `a` / rows of `b`, each block packed into strips, and `kernel`
/// computing each `MR × NR` tile of the result. Inlined into the functions of `simd`, which
/// compile it for their instruction set and pass the kernel written for it.
#[inline(always)]
fn band_generic<const MR: usize, const NR: usize>(
    a: &[f32],
    b: &[f32],
    c_band: &mut [f32],
    n: usize,
    rows: std::ops::Range<usize>,
    kernel: Kernel<MR, NR>,
) {
    let mut b_packed = vec![0.0f32; KC * n.div_ceil(NR) * NR];
    let mut a_packed = vec![0.0f32; MC.div_ceil(MR) * MR * KC];
    for k0 in (0..n).step_by(KC) {
        let kc = KC.min(n - k0);
        // b's rows k0..k0+kc, as strips of NR columns, each strip row after row (zeros past n).
        pack::<NR>(&mut b_packed, n, kc, |col, k| b[(k0 + k) * n + col]);
        for i0 in rows.clone().step_by(MC) {
            let mc = MC.min(rows.end - i0);
            // a's rows i0..i0+mc, columns k0..k0+kc, as strips of MR rows, column after column.
            pack::<MR>(&mut a_packed, mc, kc, |row, k| a[(i0 + row) * n + k0 + k]);
            for (si, a_strip) in a_packed.chunks(kc * MR).take(mc.div_ceil(MR)).enumerate() {
                for (sj, b_strip) in b_packed.chunks(kc * NR).take(n.div_ceil(NR)).enumerate() {
                    let mut tile = [[0.0f32; NR]; MR];
                    kernel(a_strip, b_strip, &mut tile);
                    // Add the tile to the result, leaving out the zero padding.
                    for (i, row) in tile.iter().enumerate() {
                        if i0 + si * MR + i >= rows.end {
                            break;
                        }
                        let r = i0 - rows.start + si * MR + i;
                        let cols = NR.min(n - sj * NR);
                        let out = &mut c_band[r * n + sj * NR..][..cols];
                        for (o, v) in out.iter_mut().zip(row) {
                            *o += v;
                        }
                    }
                }
            }
        }
    }
}

/// Copies `count` lines (rows of `a` or columns of `b`) of depth `kc` into `packed`, as strips
/// of `W` lines: in each strip, step `k` holds the `W` values `value(line, k)` side by side, and
/// lines past `count` are zeros (so that every kernel call computes a whole tile).
#[inline(always)]
fn pack<const W: usize>(
    packed: &mut [f32],
    count: usize,
    kc: usize,
    value: impl Fn(usize, usize) -> f32,
) {
    for (s, strip) in packed
        .chunks_mut(kc * W)
        .take(count.div_ceil(W))
        .enumerate()
    {
        for k in 0..kc {
            for w in 0..W {
                let line = s * W + w;
                strip[k * W + w] = if line < count { value(line, k) } else { 0.0 };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f32], b: &[f32], n: usize) -> Vec<f32> {
        let mut c = vec![0.0; n * n];
        for i in 0..n {
            for k in 0..n {
                for j in 0..n {
                    c[i * n + j] += a[i * n + k] * b[k * n + j];
                }
            }
        }
        c
    }

    #[test]
    fn every_version_gives_the_product_for_sizes_that_do_not_divide_the_blocks() {
        for n in [1, 7, 33, 130, 300] {
            let a: Vec<f32> = (0..n * n)
                .map(|v| ((v * 7919) % 23) as f32 - 11.0)
                .collect();
            let b: Vec<f32> = (0..n * n)
                .map(|v| ((v * 104729) % 19) as f32 - 9.0)
                .collect();
            let want = naive(&a, &b, n);
            // Small whole numbers: every order of the additions gives exactly the same sums.
            for kind in Simd::available() {
                assert_eq!(blocked(&a, &b, n, kind).unwrap(), want, "{kind:?}, n = {n}");
            }
            for threads in [1, 2, 3] {
                assert_eq!(
                    threaded(&a, &b, n, threads).unwrap(),
                    want,
                    "{threads} threads"
                );
            }
        }
    }

    #[test]
    fn wrong_sizes_are_refused() {
        let e = blocked(&[1.0; 4], &[1.0; 3], 2, Simd::Baseline).unwrap_err();
        assert!(
            e.message().contains("needs 4 numbers in each; got 4 and 3"),
            "{e}"
        );
        assert!(threaded(&[1.0; 4], &[1.0; 4], 2, 0).is_err());
        // n² beyond usize: said, not an overflow panic.
        let e = blocked(&[1.0; 4], &[1.0; 4], 1 << 40, Simd::Baseline).unwrap_err();
        assert!(e.message().contains("needs 1099511627776² numbers"), "{e}");
    }
}
