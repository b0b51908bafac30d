//! The Rust side of `scripts/bench`: trains one configuration with the crate, one epoch per
//! request, so that the driver can interleave it with the Python baseline.
//!
//! Usage: `bench_worker DATA NEURONS DEVICE THREADS` (e.g. `mnist 784,1000,1000,10 cpu 2`).
//! It prints `ready`, then answers every `epoch` line on stdin with
//! `epoch TRAIN_S EVAL_S LOSS_L LOSS_T RATE_L RATE_T`, every `matmul` line with
//! `matmul GFLOPS` (the best of several float32 products of two N × N matrices on the same
//! device and threads: the machine's practical peak) and, on `quit`, `peak RSS_BYTES GPU_BYTES`
//! (GPU_BYTES: the most device memory seen in use, 0 on the CPU).

use mnist_lab::*;
use std::io::{BufRead, Write};
use std::time::Instant;
use tch::Tensor;

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [data, neurons, device, threads] = &args[..] else {
        return Err("usage: bench_worker {minimnist|mnist} 784,1000,10 {cpu|cuda} THREADS".into());
    };
    let neurons: Vec<i64> = neurons
        .split(',')
        .map(|n| n.trim().parse())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("bad neurons {neurons:?}: {e}"))?;
    let device = match device.as_str() {
        "cpu" => Device::Cpu,
        "cuda" if mnist_lab::Device::cuda_if_available() == Device::Cuda(0) => Device::Cuda(0),
        other => {
            return Err(format!(
                "device {other:?} is not usable here (cpu, or cuda on a machine with a GPU)"
            )
            .into());
        }
    };
    let threads: i32 = threads
        .parse()
        .map_err(|e| format!("bad thread count {threads:?}: {e}"))?;
    tch::set_num_threads(threads);
    tch::set_num_interop_threads(1);

    let (ds_l, ds_t) = match data.as_str() {
        "minimnist" => minimnist(device)?,
        "mnist" => mnist(device)?,
        other => {
            return Err(format!("unknown data {other:?}: minimnist or mnist").into());
        }
    };
    seed(0);
    let dl_l = DataLoader::new(&ds_l, 100, false)?;
    let dl_t = DataLoader::new(&ds_t, 100, false)?;
    let net = Mlp::new(&neurons, device)?;
    let loss_func = CrossEntropyLoss::new(Reduction::Sum);
    let mut optimizer = Adam::new(&net, 1e-3)?;
    let mut gpu_peak = gpu_bytes_in_use();

    let mut out = std::io::stdout().lock();
    writeln!(out, "ready")?;
    out.flush()?;
    for line in std::io::stdin().lock().lines() {
        match line?.trim() {
            "epoch" => {
                let t0 = Instant::now();
                let Metrics {
                    loss: loss_l,
                    accuracy: rate_l,
                } = train(&net, &loss_func, &mut optimizer, &dl_l)?;
                let t1 = Instant::now();
                let Metrics {
                    loss: loss_t,
                    accuracy: rate_t,
                } = evaluate(&net, &loss_func, &dl_t)?;
                let t2 = Instant::now();
                gpu_peak = gpu_peak.max(gpu_bytes_in_use());
                writeln!(
                    out,
                    "epoch {} {} {loss_l} {loss_t} {rate_l} {rate_t}",
                    (t1 - t0).as_secs_f64(),
                    (t2 - t1).as_secs_f64()
                )?;
            }
            "matmul" => writeln!(out, "matmul {}", matmul_peak_gflops(device)?)?,
            "quit" => {
                writeln!(out, "peak {} {gpu_peak}", peak_rss_bytes())?;
                break;
            }
            other => writeln!(out, "error unknown request {other:?}")?,
        }
        out.flush()?;
    }
    Ok(())
}

/// GFLOP/s of the best of several float32 products of two N × N matrices (N = 2048, 8 tries
/// on the CPU; 4096, 10 tries on a GPU), synchronising the GPU around each.
fn matmul_peak_gflops(device: Device) -> Result<f64, Box<dyn std::error::Error>> {
    let (n, reps) = if device == Device::Cpu {
        (2048, 8)
    } else {
        (4096, 10)
    };
    let opts = (tch::Kind::Float, device.into());
    let (a, b) = (Tensor::f_rand([n, n], opts)?, Tensor::f_rand([n, n], opts)?);
    let sync = || {
        if let Device::Cuda(i) = device {
            tch::Cuda::synchronize(i as i64);
        }
    };
    let mut best = f64::INFINITY;
    for _ in 0..reps {
        sync();
        let t = Instant::now();
        let _ = a.f_matmul(&b)?;
        sync();
        best = best.min(t.elapsed().as_secs_f64());
    }
    Ok(2.0 * (n as f64).powi(3) / best / 1e9)
}

/// The process's peak resident set size (`VmHWM` in /proc/self/status).
fn peak_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Device memory in use on the current GPU (total − free, from the CUDA runtime that libtorch
/// loaded), or 0 without a GPU. It counts the CUDA context and libtorch's cached blocks too.
fn gpu_bytes_in_use() -> u64 {
    type MemGetInfo = unsafe extern "C" fn(*mut usize, *mut usize) -> i32;
    // SAFETY: looks up a symbol in the already-loaded libraries; calls it with valid pointers
    // only when it exists, with the signature the CUDA runtime documents.
    unsafe {
        let sym = libc::dlsym(libc::RTLD_DEFAULT, c"cudaMemGetInfo".as_ptr());
        if sym.is_null() || !tch::Cuda::is_available() {
            return 0;
        }
        let f: MemGetInfo = std::mem::transmute(sym);
        let (mut free, mut total) = (0usize, 0usize);
        if f(&mut free, &mut total) == 0 {
            (total - free) as u64
        } else {
            0
        }
    }
}
