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
        .x_label_formatter(&|v| format!("{v:.0}"))
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

/// A labelled point of a 2-D classification set.
pub struct LabeledPoint {
    pub x: f64,
    pub y: f64,
    pub class: usize,
}

/// What [`plot_decision_boundary`] draws.
pub struct BoundaryPlot<'a> {
    pub title: &'a str,
    /// Names of the two features, for the axes.
    pub axes: (&'a str, &'a str),
    /// The data points drawn on top of the coloured regions.
    pub points: &'a [LabeledPoint],
    /// Legend names of the classes; missing ones are called "class k".
    pub class_names: &'a [&'a str],
    /// The number of grid cells along each axis.
    pub resolution: usize,
    /// One color per class; class `k` uses `palette[k % palette.len()]`.
    pub palette: &'a [RGBColor],
}

/// The default class colors: blue, orange, green, red, purple (matplotlib's first five).
pub const PALETTE: [RGBColor; 5] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
];

/// Draws a classifier's decision regions with the data on top, into an SVG and a PNG file.
///
/// The plane around the points (their bounding box, padded by 10%) is cut into a
/// `resolution × resolution` grid; `predict` receives the centres of all cells at once (so a
/// model classifies them in one batch) and returns one class per centre. Each cell is filled
/// with a light shade of its class color and the points are drawn as dots in the full color.
///
/// # Errors
///
/// If `predict` returns the wrong number of classes or a file cannot be written.
pub fn plot_decision_boundary(
    plot: &BoundaryPlot<'_>,
    predict: impl FnOnce(&[(f64, f64)]) -> Vec<usize>,
    svg: &Path,
    png: &Path,
) -> Result<(), Box<dyn Error>> {
    register_font();
    let (x_range, y_range) = padded_bounds(plot.points);
    let r = plot.resolution.max(2);
    let (dx, dy) = (
        (x_range.1 - x_range.0) / r as f64,
        (y_range.1 - y_range.0) / r as f64,
    );
    let centres: Vec<(f64, f64)> = (0..r)
        .flat_map(|j| {
            (0..r).map(move |i| {
                (
                    x_range.0 + (i as f64 + 0.5) * dx,
                    y_range.0 + (j as f64 + 0.5) * dy,
                )
            })
        })
        .collect();
    let classes = predict(&centres);
    if classes.len() != centres.len() {
        return Err(format!(
            "predict returned {} classes for {} grid points",
            classes.len(),
            centres.len()
        )
        .into());
    }
    // Neighbouring cells of one row with the same class are merged into one rectangle, which
    // keeps the SVG small (a few rectangles per row instead of one per cell).
    let mut regions = Vec::new();
    for j in 0..r {
        let row = &classes[j * r..(j + 1) * r];
        let mut start = 0;
        for i in 1..=r {
            if i == r || row[i] != row[start] {
                regions.push((
                    [
                        (x_range.0 + start as f64 * dx, y_range.0 + j as f64 * dy),
                        (x_range.0 + i as f64 * dx, y_range.0 + (j + 1) as f64 * dy),
                    ],
                    row[start],
                ));
                start = i;
            }
        }
    }
    let frame = Frame {
        plot,
        x_range,
        y_range,
        regions: &regions,
    };
    frame.draw(SVGBackend::new(svg, (760, 680)).into_drawing_area())?;
    frame.draw(BitMapBackend::new(png, (760, 680)).into_drawing_area())?;
    Ok(())
}

/// The points' bounding box, padded by 10% of its size on each side.
fn padded_bounds(points: &[LabeledPoint]) -> ((f64, f64), (f64, f64)) {
    let fold = |f: fn(&LabeledPoint) -> f64| {
        points
            .iter()
            .map(f)
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(v), b.max(v))
            })
    };
    let pad = |(lo, hi): (f64, f64)| {
        if lo.is_finite() {
            let p = ((hi - lo) * 0.1).max(1e-3);
            (lo - p, hi + p)
        } else {
            (-1.0, 1.0)
        }
    };
    (pad(fold(|p| p.x)), pad(fold(|p| p.y)))
}

/// A decision-boundary picture, computed once and drawn on each backend.
struct Frame<'a> {
    plot: &'a BoundaryPlot<'a>,
    x_range: (f64, f64),
    y_range: (f64, f64),
    regions: &'a [([(f64, f64); 2], usize)],
}

impl Frame<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<(), Box<dyn Error>>
    where
        DB::ErrorType: 'static,
    {
        let palette: &[RGBColor] = if self.plot.palette.is_empty() {
            &PALETTE
        } else {
            self.plot.palette
        };
        let color = |k: usize| palette[k % palette.len()];
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(self.plot.title, ("sans-serif", 24))
            .margin(18)
            .x_label_area_size(50)
            .y_label_area_size(60)
            .build_cartesian_2d(
                self.x_range.0..self.x_range.1,
                self.y_range.0..self.y_range.1,
            )?;
        chart.draw_series(self.regions.iter().map(|&(corners, k)| {
            // A light tint: the class color mixed 25% into white, drawn opaque.
            let c = color(k);
            let tint = |v: u8| 255 - ((255 - v as u16) * 25 / 100) as u8;
            Rectangle::new(corners, RGBColor(tint(c.0), tint(c.1), tint(c.2)).filled())
        }))?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(self.plot.axes.0)
            .y_desc(self.plot.axes.1)
            .axis_desc_style(("sans-serif", 20))
            .label_style(("sans-serif", 16))
            .draw()?;
        let classes = self
            .plot
            .points
            .iter()
            .map(|p| p.class + 1)
            .max()
            .unwrap_or(0);
        for k in 0..classes {
            let c = color(k);
            let name = self
                .plot
                .class_names
                .get(k)
                .map_or_else(|| format!("class {k}"), |n| n.to_string());
            let members = self.plot.points.iter().filter(|p| p.class == k);
            chart
                .draw_series(members.map(|p| {
                    EmptyElement::at((p.x, p.y))
                        + Circle::new((0, 0), 4, c.filled())
                        + Circle::new((0, 0), 4, BLACK.mix(0.6).stroke_width(1))
                }))?
                .label(name)
                .legend(move |(x, y)| Circle::new((x + 10, y), 5, c.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font(("sans-serif", 16))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
        root.present()?;
        Ok(())
    }
}

/// The `main` of every example: parse the flags (`Ok(None)` = `--help`), run, and turn an
/// error into one line on stderr — exit code 2 for a bad flag, 1 for a failed run.
pub fn cli_main<A>(
    usage: &str,
    parse: fn(&[String]) -> Result<Option<A>, String>,
    run: fn(&A) -> Result<(), String>,
) -> std::process::ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse(&argv) {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{usage}");
            return std::process::ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Writes per-epoch metrics (epochs numbered from 1) as CSV under `header`.
pub fn write_history<const N: usize>(
    path: &Path,
    header: &str,
    history: &[[f64; N]],
) -> Result<(), String> {
    let rows: Vec<Vec<String>> = history
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let mut row = vec![(i + 1).to_string()];
            row.extend(h.iter().map(|v| v.to_string()));
            row
        })
        .collect();
    write_csv(path, header, &rows).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Column `k` of per-epoch metrics, as a curve to plot.
pub fn column<const N: usize>(history: &[[f64; N]], k: usize) -> Vec<f64> {
    history.iter().map(|h| h[k]).collect()
}

/// Parses a flag's value, or says which flag wanted a number and what it got.
pub fn parse_num<N: std::str::FromStr>(flag: &str, v: &str) -> Result<N, String> {
    v.parse::<N>()
        .map_err(|_| format!("{flag} expects a number, got '{v}'"))
}
