//! Helpers shared by the examples: plotting curves with `plotters`, writing CSV files.

#![allow(dead_code)]

use std::error::Error;
use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;

/// DejaVu Sans (free license, see DejaVuSans.LICENSE), embedded so that PNG text renders the
/// same on every machine without system font libraries.
const FONT: &[u8] = include_bytes!("DejaVuSans.ttf");

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Registration fails only for a malformed font, which the embedded one is not.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// One named curve: y values against x = 0, 1, 2, ...
pub struct Series<'a> {
    pub name: &'a str,
    pub values: &'a [f64],
    pub color: RGBColor,
}

/// Draws curves against the epoch into an SVG and a PNG file.
pub fn plot_curves(
    title: &str,
    y_label: &str,
    series: &[Series<'_>],
    svg: &Path,
    png: &Path,
) -> Result<(), Box<dyn Error>> {
    register_font();
    draw(
        SVGBackend::new(svg, (900, 560)).into_drawing_area(),
        title,
        y_label,
        series,
    )?;
    draw(
        BitMapBackend::new(png, (900, 560)).into_drawing_area(),
        title,
        y_label,
        series,
    )?;
    Ok(())
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    y_label: &str,
    series: &[Series<'_>],
) -> Result<(), Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let n = series
        .iter()
        .map(|s| s.values.len())
        .max()
        .unwrap_or(1)
        .max(2);
    let (lo, hi) = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let pad = ((hi - lo) * 0.05).max(1e-6);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 26))
        .margin(18)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..(n - 1) as f64, (lo - pad)..(hi + pad))?;
    chart
        .configure_mesh()
        .x_desc("Epoch")
        .y_desc(y_label)
        .axis_desc_style(("sans-serif", 20))
        .label_style(("sans-serif", 16))
        .draw()?;
    for s in series {
        let color = s.color;
        chart
            .draw_series(LineSeries::new(
                s.values.iter().enumerate().map(|(i, &v)| (i as f64, v)),
                color.stroke_width(2),
            ))?
            .label(s.name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .label_font(("sans-serif", 16))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// Writes `header` and one row per entry as CSV.
pub fn write_csv(path: &Path, header: &str, rows: &[Vec<String>]) -> std::io::Result<()> {
    let mut out = String::from(header);
    out.push('\n');
    for r in rows {
        out.push_str(&r.join(","));
        out.push('\n');
    }
    std::fs::write(path, out)
}
