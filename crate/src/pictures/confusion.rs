//! The confusion matrix as a picture: which digit the network said for each true digit.

use crate::draw::Drawing;
use crate::error::Result;
use crate::fonts::{family, register_fonts};
use crate::predictions::ConfusionMatrix;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

impl ConfusionMatrix {
    /// The matrix as an annotated heat map (PNG), darker for more samples.
    pub fn figure(&self, title: &str) -> ConfusionFigure {
        ConfusionFigure {
            matrix: self.clone(),
            title: title.to_string(),
        }
    }
}

/// A [`ConfusionMatrix`] drawn as an annotated heat map.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfusionFigure {
    matrix: ConfusionMatrix,
    title: String,
}

impl Drawing for ConfusionFigure {
    fn size(&self) -> (u32, u32) {
        (560, 560)
    }

    fn draw(&self, root: &DrawingArea<SVGBackend<'_>, Shift>) -> Result<()> {
        register_fonts();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (family(&self.title), 17))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(50)
            // A segmented 0..9 axis has one cell per digit, 0 to 9 inclusive.
            .build_cartesian_2d((0i32..9).into_segmented(), (0i32..9).into_segmented())?;
        // Rows from the top: true digit 0 first, so row t is drawn at y = 9 - t.
        let label = |flip: bool| {
            move |v: &SegmentValue<i32>| match v {
                SegmentValue::CenterOf(d) if (0..10).contains(d) && flip => (9 - d).to_string(),
                SegmentValue::CenterOf(d) if (0..10).contains(d) => d.to_string(),
                _ => String::new(),
            }
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("predicted digit")
            .y_desc("true digit")
            .x_labels(10)
            .y_labels(10)
            .x_label_formatter(&label(false))
            .y_label_formatter(&label(true))
            .label_style(("sans-serif", 13))
            .draw()?;
        let counts = &self.matrix.counts;
        let max = counts.iter().flatten().copied().max().unwrap_or(1).max(1) as f64;
        let centred = Pos::new(HPos::Center, VPos::Center);
        for (t, row) in counts.iter().enumerate() {
            for (p, &n) in row.iter().enumerate() {
                // Log scale, so that a handful of mistakes still shows beside hundreds of hits.
                let shade = ((n as f64 + 1.0).ln() / (max + 1.0).ln()) as f32;
                let g = (255.0 * (1.0 - 0.85 * shade)).round() as u8;
                let (x, y) = (p as i32, 9 - t as i32);
                chart.draw_series([Rectangle::new(
                    [
                        (SegmentValue::Exact(x), SegmentValue::Exact(y)),
                        (SegmentValue::Exact(x + 1), SegmentValue::Exact(y + 1)),
                    ],
                    RGBColor(g, g, 255).filled(),
                )])?;
                if n > 0 {
                    let ink = if shade > 0.6 { WHITE } else { BLACK };
                    chart.draw_series([Text::new(
                        n.to_string(),
                        (SegmentValue::CenterOf(x), SegmentValue::CenterOf(y)),
                        ("sans-serif", 13).into_font().color(&ink).pos(centred),
                    )])?;
                }
            }
        }
        root.present()?;
        Ok(())
    }
}
