//! Adam's update in one pass over float32 CPU memory, split over libtorch's threads.
//!
//! One of the crate's three files with `unsafe` code (the others are `sys.rs` and
//! `matmul/simd.rs`). Contract: the pass reads and writes the tensors' memory directly, so [`single_pass`] first checks that
//! the four tensors are contiguous float32 CPU tensors of the same length and that the
//! gradient does not overlap the parameter (the moments are the optimizer's own); it makes
//! slices of that memory only for the length of the call, while libtorch runs nothing else on
//! these tensors (the step runs under `no_grad`, between two operations of the training loop),
//! and each thread gets a disjoint range of the parameter and the moments.

use tch::{Kind, Tensor};

/// The scalars of one Adam step, as PyTorch's Adam computes them in float64.
pub(super) struct Scalars {
    pub(super) beta1: f64,
    pub(super) beta2: f64,
    /// The learning rate over the first moment's bias correction.
    pub(super) step_size: f64,
    /// The square root of the second moment's bias correction.
    pub(super) bias_correction2_sqrt: f64,
    pub(super) eps: f64,
}

/// Does the update of [`super::Adam`]'s CPU path in one pass over contiguous float32 CPU
/// tensors, split over libtorch's threads. Returns false (and changes nothing) for any other
/// tensors, and when the gradient shares memory with the parameter.
///
/// The scalars are rounded to float32 as libtorch rounds them, and each value goes through the
/// same operations in the same order; `lerp` and `addcmul` use a fused multiply-add, as
/// libtorch's vectorised kernels do, and `sqrt` is exact.
pub(super) fn single_pass(
    p: &mut Tensor,
    g: &Tensor,
    m: &mut Tensor,
    v: &mut Tensor,
    c: &Scalars,
) -> bool {
    let n = p.numel();
    let fits = |t: &Tensor| {
        t.device() == tch::Device::Cpu
            && t.kind() == Kind::Float
            && t.is_contiguous()
            && t.numel() == n
    };
    if ![&*p, g, &*m, &*v].into_iter().all(fits) {
        return false;
    }
    if n == 0 {
        return true;
    }
    // The moments are the optimizer's own; a gradient passed to `step_with` could share memory
    // with its parameter, which the element-wise operations handle and this loop must not see.
    let bytes = |t: &Tensor| {
        let start = t.data_ptr() as usize;
        start..start + 4 * n
    };
    let (pb, gb) = (bytes(p), bytes(g));
    if pb.start < gb.end && gb.start < pb.end {
        return false;
    }
    let k = AdamF32 {
        lerp_weight: (1.0 - c.beta1) as f32,
        beta2: c.beta2 as f32,
        one_minus_beta2: (1.0 - c.beta2) as f32,
        bias_correction2_sqrt: c.bias_correction2_sqrt as f32,
        eps: c.eps as f32,
        neg_step_size: (-c.step_size) as f32,
    };
    let memory = Buffers {
        p: p.data_ptr() as *mut f32,
        g: g.data_ptr() as *const f32,
        m: m.data_ptr() as *mut f32,
        v: v.data_ptr() as *mut f32,
        n,
    };
    let threads = (tch::get_num_threads().max(1) as usize).min(n.div_ceil(1 << 16));
    let chunk = n.div_ceil(threads).next_multiple_of(64);
    crate::sys::for_each_part(n.div_ceil(chunk), &|i| {
        let range = i * chunk..((i + 1) * chunk).min(n);
        // SAFETY: part i's range is inside 0..n, and the parts' ranges are disjoint.
        let (p, g, m, v) = unsafe { memory.part(range) };
        k.update(p, g, m, v);
    });
    true
}

/// The memory of one step's four tensors (`n` float32 values each), shared by the threads of
/// the pass, each of which takes a disjoint part of it.
struct Buffers {
    p: *mut f32,
    g: *const f32,
    m: *mut f32,
    v: *mut f32,
    n: usize,
}

// SAFETY: the threads only make slices of disjoint ranges of the written buffers (`part`'s
// contract) and only read the gradient; `single_pass` checked that the four are distinct
// tensors of `n` values that nothing else touches during the pass.
unsafe impl Sync for Buffers {}

impl Buffers {
    /// The parameter's, gradient's and moments' values at `range`.
    ///
    /// # Safety
    /// `range` lies inside `0..n`, and no other live slice from this `Buffers` overlaps it.
    // Mutable parts from a shared `Buffers` are the point: each thread takes its own part.
    #[allow(clippy::mut_from_ref, clippy::type_complexity)]
    unsafe fn part(
        &self,
        range: std::ops::Range<usize>,
    ) -> (&mut [f32], &[f32], &mut [f32], &mut [f32]) {
        debug_assert!(range.end <= self.n);
        let (start, len) = (range.start, range.len());
        // SAFETY: by the contract, `start..start + len` lies inside each buffer of n values and
        // is not shared with another live slice.
        unsafe {
            (
                std::slice::from_raw_parts_mut(self.p.add(start), len),
                std::slice::from_raw_parts(self.g.add(start), len),
                std::slice::from_raw_parts_mut(self.m.add(start), len),
                std::slice::from_raw_parts_mut(self.v.add(start), len),
            )
        }
    }
}

/// The Adam scalars as float32, as libtorch's float32 kernels use them.
#[derive(Clone, Copy)]
struct AdamF32 {
    lerp_weight: f32,
    beta2: f32,
    one_minus_beta2: f32,
    bias_correction2_sqrt: f32,
    eps: f32,
    neg_step_size: f32,
}

impl AdamF32 {
    /// The update of one part, compiled for AVX2 and FMA where the CPU has them.
    fn update(&self, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("fma") && std::arch::is_x86_feature_detected!("avx2")
        {
            // SAFETY: the CPU has the features the function is compiled for (checked above).
            return unsafe { self.update_avx2(p, g, m, v) };
        }
        self.update_portable(p, g, m, v)
    }

    /// [`AdamF32::update_portable`] compiled with AVX2 and FMA instructions.
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn update_avx2(&self, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
        self.update_portable(p, g, m, v)
    }

    #[inline(always)]
    fn update_portable(&self, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
        for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
            *m = self.lerp_weight.mul_add(g - *m, *m);
            *v = (g * self.one_minus_beta2).mul_add(g, *v * self.beta2);
            let denom = v.sqrt() / self.bias_correction2_sqrt + self.eps;
            *p += *m * self.neg_step_size / denom;
        }
    }
}
