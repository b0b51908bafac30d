//! Gradients by finite differences, to check backpropagation by: the lesson's "numerical
//! gradient".
//!
//! Each parameter in turn is moved by `+eps` and by `-eps` and the loss computed both times;
//! the slope between the two points, `(L(p + eps) - L(p - eps)) / (2 eps)`, is that
//! parameter's partial derivative up to an error of order `eps²` (the central difference).
//! That is two evaluations of the loss per parameter, against one backward pass for all of
//! them: the reason networks are trained with backpropagation.

use crate::error::{Error, Result};
use tch::{Kind, Tensor};

/// The gradient of `loss` with respect to each tensor of `params`, by central differences with
/// step `eps`: a tensor of the same shape per parameter.
///
/// `loss` must compute the loss from the current values of `params` (it is called twice per
/// parameter element, with that element moved); the parameters are put back as they were.
/// Use float64 parameters: in float32 the difference of two nearby losses loses most of its
/// digits (see [`relative_difference`]); integer parameters, and views that do not store
/// each element once in order (`expand`, a transpose), are refused. Kernel → Interrupt
/// while it runs stops it with an error, the parameters unchanged.
///
/// ```
/// # use mnist_lab::gradcheck::numerical_gradient;
/// # use mnist_lab::tch::{Kind, Tensor};
/// // d/dw of sum(w²) is 2w.
/// let w = Tensor::from_slice(&[1.0f64, -2.0, 3.0]);
/// let grad = numerical_gradient(|| Ok((&w * &w).sum(Kind::Double).double_value(&[])), &[&w], 1e-6)?;
/// assert!((grad[0].double_value(&[1]) + 4.0).abs() < 1e-6);
/// # Ok::<(), mnist_lab::Error>(())
/// ```
pub fn numerical_gradient(
    loss: impl Fn() -> Result<f64>,
    params: &[&Tensor],
    eps: f64,
) -> Result<Vec<Tensor>> {
    if !(eps.is_finite() && eps > 0.0) {
        return Err(Error::InvalidArgument(format!(
            "the step eps must be a small positive number, such as 1e-6, not {eps}"
        )));
    }
    for (i, param) in params.iter().enumerate() {
        if !matches!(
            param.kind(),
            Kind::Half | Kind::BFloat16 | Kind::Float | Kind::Double
        ) {
            return Err(Error::InvalidArgument(format!(
                "parameter {i} holds {:?} numbers, which cannot move by eps; a gradient needs \
                 floating-point parameters, best Kind::Double (e.g. Tensor::from_slice(&[2.0f64, 1.0]))",
                param.kind()
            )));
        }
        if !param.is_contiguous() {
            // An expanded tensor stores one number for many elements (moving it moves them
            // all, and the gradient would be as large as the expansion); a transposed one
            // cannot be walked element by element in place.
            return Err(Error::InvalidArgument(format!(
                "parameter {i} (shape {:?}) is a view that does not store each of its elements \
                 once in order (made by expand, a transpose or a slice with a step); give the \
                 tensor the loss is computed from, made contiguous before the loss uses it \
                 (e.g. `let w = w.contiguous();`)",
                param.size()
            )));
        }
    }
    // In the project's kernel, a bar with the elements done and the time left; it goes when
    // the gradient is done or stops.
    let total: usize = params.iter().map(|p| p.numel()).sum();
    let mut progress = crate::display::live::Progress::gradient(total);
    let _no_grad = tch::no_grad_guard();
    let grads = slopes_of(loss, params, eps, total, &mut progress);
    progress.finish();
    grads
}

/// The central differences of [`numerical_gradient`] for the `total` elements of `params`,
/// element after element, counted on `progress`; an interrupt that arrives meanwhile stops
/// them.
fn slopes_of(
    loss: impl Fn() -> Result<f64>,
    params: &[&Tensor],
    eps: f64,
    total: usize,
    progress: &mut crate::display::live::Progress,
) -> Result<Vec<Tensor>> {
    let before = crate::interrupt::count();
    let mut done = 0;
    let mut grads = Vec::with_capacity(params.len());
    for param in params {
        let flat = param.f_view([-1])?;
        let n = flat.size()[0];
        let mut slopes = Vec::with_capacity(n as usize);
        for i in 0..n {
            // Kernel → Interrupt: stop here, with the parameters as they were.
            if crate::interrupt::arrived_since(before) {
                crate::interrupt::acknowledge();
                return Err(Error::Interrupted(format!(
                    "numerical_gradient stopped at Kernel → Interrupt, after {done} of {total} \
                     parameter elements; the parameters are unchanged. Run the cell again for the \
                     whole gradient (on fewer or smaller parameters, it is faster)."
                )));
            }
            // A view of the one element: filling it changes the parameter itself.
            let mut element = flat.f_get(i)?;
            let original = element.double_value(&[]);
            let mut set = |value: f64| element.f_fill_(value).map(drop);
            set(original + eps)?;
            let up = loss();
            set(original - eps)?;
            let down = loss();
            set(original)?;
            slopes.push((up? - down?) / (2.0 * eps));
            done += 1;
            progress.update(done, 0);
        }
        grads.push(
            Tensor::f_from_slice(&slopes)?
                .f_to_kind(param.kind())?
                .f_to_device(param.device())?
                .f_view(param.size().as_slice())?,
        );
    }
    Ok(grads)
}

/// How far two gradients of one parameter tensor are apart, relative to their size: the
/// largest difference of an element, divided by the largest magnitude of an element of either.
/// 0 when they agree exactly.
///
/// With central differences in float64 and `eps = 1e-6`, a correct backpropagation gives about
/// 1e-9 or less: the formula's error is of order `eps²` times the third derivative, and
/// rounding adds about 1e-16 × |loss| / eps. A mistake in the gradient (a wrong sign, a missing
/// term) gives a difference of order 1.
pub fn relative_difference(a: &Tensor, b: &Tensor) -> Result<f64> {
    let a = a.f_to_kind(Kind::Double)?;
    let b = b.f_to_kind(Kind::Double)?;
    let diff = a.f_sub(&b)?.f_abs()?.f_max()?.double_value(&[]);
    let scale = a
        .f_abs()?
        .f_max()?
        .double_value(&[])
        .max(b.f_abs()?.f_max()?.double_value(&[]));
    Ok(if scale == 0.0 { diff } else { diff / scale })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_numerical_gradient_of_a_known_function_and_its_bad_step() {
        // d/dw of sum(sin(w) * x) is cos(w) * x.
        let w = Tensor::from_slice(&[0.3f64, -1.2, 2.0, 0.0]).view([2, 2]);
        let x = Tensor::from_slice(&[1.0f64, 2.0, -3.0, 0.5]).view([2, 2]);
        let loss = || Ok((w.sin() * &x).sum(Kind::Double).double_value(&[]));
        let grad = numerical_gradient(loss, &[&w], 1e-6).unwrap();
        let exact = w.cos() * &x;
        assert_eq!(grad[0].size(), vec![2, 2]);
        assert!(relative_difference(&grad[0], &exact).unwrap() < 1e-9);
        // The parameter is back as it was.
        assert_eq!(
            Vec::<f64>::try_from(w.view([-1])).unwrap(),
            vec![0.3, -1.2, 2.0, 0.0]
        );
        // A wrong gradient is far off.
        assert!(relative_difference(&grad[0], &(-exact)).unwrap() > 1.0);
        let err = numerical_gradient(loss, &[&w], 0.0).unwrap_err();
        assert!(err
            .to_string()
            .contains("eps must be a small positive number"));
    }

    /// Whole numbers cannot move by eps: an int64 parameter gave [500000, -1500000, 2500000]
    /// for the gradient [2, -4, 6] of sum(w²).
    #[test]
    fn integer_parameters_are_refused() {
        let w = Tensor::from_slice(&[1i64, -2, 3]);
        let loss = || Ok((&w * &w).sum(Kind::Double).double_value(&[]));
        let m = numerical_gradient(loss, &[&w], 1e-6)
            .unwrap_err()
            .to_string();
        assert!(
            m.starts_with("parameter 0 holds Int64 numbers, which cannot move by eps"),
            "{m}"
        );
    }

    /// An expanded parameter of 2^40 elements stores one number: refused before its 8 TiB
    /// of slopes are allocated (and before one move changes every element).
    #[test]
    fn views_that_share_their_numbers_are_refused() {
        let w = Tensor::from_slice(&[1.0f64]).expand([1 << 40], false);
        let loss = || Ok(w.sum(Kind::Double).double_value(&[]));
        let m = numerical_gradient(loss, &[&w], 1e-6)
            .unwrap_err()
            .to_string();
        assert!(
            m.starts_with("parameter 0 (shape [1099511627776]) is a view that does not store"),
            "{m}"
        );
        let t = Tensor::from_slice(&[1.0f64, 2.0, 3.0, 4.0])
            .view([2, 2])
            .tr();
        assert!(numerical_gradient(|| Ok(0.0), &[&t], 1e-6).is_err());
    }
}
