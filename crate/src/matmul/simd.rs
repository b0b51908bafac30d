//! The hand-written product's inner kernels, one per instruction set, and the choice among
//! them at run time.
//!
//! One of the crate's three files with `unsafe` code (the others are `sys.rs` and
//! `optim/adam_cpu.rs`). Contract: a function compiled with `#[target_feature]` may only run
//! on a processor that has those features (elsewhere it would stop at an illegal
//! instruction), so each runs only after [`has`] (`is_x86_feature_detected!`) has confirmed
//! them, in [`band`]; the kernels turn arrays of 4, 8 or 16 floats into vectors of as many
//! floats and back with `transmute`, between types of the same size with no invalid values.
//!
//! Each kernel holds its tile of the result in vector registers (`MR` rows × `NR` columns:
//! 12 registers) through the whole inner loop: per step it loads one row of `b`'s strip,
//! broadcasts each of the `MR` values of `a`'s strip, and multiplies and adds. The rows are
//! written out one by one (a macro) rather than by a loop, so that the registers are named at
//! every optimisation level: evcxr compiles at `opt-level = 2`, which does not unroll such
//! loops reliably.

use super::{band_generic, Simd};
use std::ops::Range;

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// Whether this processor has the instructions of `kind`.
pub(super) fn has(kind: Simd) -> bool {
    match kind {
        Simd::Baseline => true,
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2 => is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
        #[cfg(target_arch = "x86_64")]
        Simd::Avx512 => is_x86_feature_detected!("avx512f"),
        #[cfg(not(target_arch = "x86_64"))]
        _ => false,
    }
}

/// Rows `rows` of `a · b` added into `c_band` (those rows only), with the kernel for `kind`
/// (the baseline's when this processor lacks `kind`).
pub(super) fn band(
    kind: Simd,
    a: &[f32],
    b: &[f32],
    c_band: &mut [f32],
    n: usize,
    rows: Range<usize>,
) {
    match kind {
        #[cfg(target_arch = "x86_64")]
        Simd::Avx512 if has(Simd::Avx512) => {
            // SAFETY: the processor has AVX-512F (checked just above).
            unsafe { band_avx512(a, b, c_band, n, rows) }
        }
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2 if has(Simd::Avx2) => {
            // SAFETY: the processor has AVX2 and FMA (checked just above).
            unsafe { band_avx2(a, b, c_band, n, rows) }
        }
        #[cfg(target_arch = "x86_64")]
        _ => band_generic::<4, 8>(a, b, c_band, n, rows, |a, b, tile| {
            // SAFETY: SSE2 is part of x86-64 itself: every such processor has it.
            unsafe { tile_sse2(a, b, tile) }
        }),
        #[cfg(not(target_arch = "x86_64"))]
        _ => band_generic::<4, 8>(a, b, c_band, n, rows, tile_portable),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn band_avx2(a: &[f32], b: &[f32], c_band: &mut [f32], n: usize, rows: Range<usize>) {
    band_generic::<6, 16>(a, b, c_band, n, rows, |a, b, tile| {
        // SAFETY: called only from band_avx2, which runs only where AVX2 and FMA are.
        unsafe { tile_avx2(a, b, tile) }
    })
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
unsafe fn band_avx512(a: &[f32], b: &[f32], c_band: &mut [f32], n: usize, rows: Range<usize>) {
    band_generic::<6, 32>(a, b, c_band, n, rows, |a, b, tile| {
        // SAFETY: called only from band_avx512, which runs only where AVX-512F is.
        unsafe { tile_avx512(a, b, tile) }
    })
}

/// The body of a kernel: the tile as `$mr` rows of two vectors `$vec` of `$lanes` floats (zeroed with
/// `$zero`; a row of the tile is `2 × $lanes` floats), then for each step of the strips `$a`
/// and `$b` one row of `b` taken as two vectors and, for each row `$i` of the tile, its value of
/// `a` broadcast (`$splat`) and multiplied and added in (`$fma`); at the end the vectors are
/// copied into `$tile`. Vectors are made from arrays and back by `transmute`, not by the load
/// and store intrinsics: evcxr builds with debug assertions, which check the pointer of every
/// load and store in the inner loop and cost a third of the speed.
macro_rules! kernel {
    ($tile:ident, $a:ident, $b:ident, $mr:literal, $lanes:literal, $vec:ty,
     $zero:ident, $splat:ident, $fma:expr, [$($i:literal),*]) => {{
        let mut acc = [[$zero(); 2]; $mr];
        for (ak, bk) in $a.chunks_exact($mr).zip($b.chunks_exact(2 * $lanes)) {
            let (b0, b1) = bk.split_at($lanes);
            let (Ok(ak), Ok(b0), Ok(b1)) = (<&[f32; $mr]>::try_from(ak), <[f32; $lanes]>::try_from(b0),
                                            <[f32; $lanes]>::try_from(b1)) else {
                continue; // never: chunks_exact gives whole chunks
            };
            // SAFETY: a vector of $lanes floats and an array of $lanes floats are the same bytes.
            let bv = unsafe {
                [std::mem::transmute::<[f32; $lanes], $vec>(b0), std::mem::transmute::<[f32; $lanes], $vec>(b1)]
            };
            $(
                let ai = $splat(ak[$i]);
                acc[$i][0] = $fma(ai, bv[0], acc[$i][0]);
                acc[$i][1] = $fma(ai, bv[1], acc[$i][1]);
            )*
        }
        for (row, vectors) in $tile.iter_mut().zip(&acc) {
            // SAFETY: a vector of $lanes floats and an array of $lanes floats are the same bytes.
            let halves = unsafe { std::mem::transmute::<[$vec; 2], [[f32; $lanes]; 2]>(*vectors) };
            row[..$lanes].copy_from_slice(&halves[0]);
            row[$lanes..].copy_from_slice(&halves[1]);
        }
    }};
}

/// 4 × 8 tile, 4 floats per vector, multiply and add apart (SSE2, on every x86-64).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn tile_sse2(a: &[f32], b: &[f32], tile: &mut [[f32; 8]; 4]) {
    let fma = |x, y, z| _mm_add_ps(_mm_mul_ps(x, y), z);
    kernel!(
        tile,
        a,
        b,
        4,
        4,
        __m128,
        _mm_setzero_ps,
        _mm_set1_ps,
        fma,
        [0, 1, 2, 3]
    );
}

/// 6 × 16 tile, 8 floats per vector, fused multiply-add.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn tile_avx2(a: &[f32], b: &[f32], tile: &mut [[f32; 16]; 6]) {
    kernel!(
        tile,
        a,
        b,
        6,
        8,
        __m256,
        _mm256_setzero_ps,
        _mm256_set1_ps,
        _mm256_fmadd_ps,
        [0, 1, 2, 3, 4, 5]
    );
}

/// 6 × 32 tile, 16 floats per vector, fused multiply-add.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
unsafe fn tile_avx512(a: &[f32], b: &[f32], tile: &mut [[f32; 32]; 6]) {
    kernel!(
        tile,
        a,
        b,
        6,
        16,
        __m512,
        _mm512_setzero_ps,
        _mm512_set1_ps,
        _mm512_fmadd_ps,
        [0, 1, 2, 3, 4, 5]
    );
}

/// The baseline kernel on processors other than x86-64: plain loops.
#[cfg(not(target_arch = "x86_64"))]
fn tile_portable(a: &[f32], b: &[f32], tile: &mut [[f32; 8]; 4]) {
    for (ak, bk) in a.chunks_exact(4).zip(b.chunks_exact(8)) {
        for i in 0..4 {
            for j in 0..8 {
                tile[i][j] += ak[i] * bk[j];
            }
        }
    }
}
