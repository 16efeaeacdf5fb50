//! PNG figures for the CLI (`--figure KIND:PATH.png --dpi N`): the SVG every figure export
//! already makes ([`super::plots::plot_svg_with`]), rasterised by resvg with a bundled font, so
//! the PNG shows the same text on every machine. The figures are laid out at 96 px per inch (as
//! on the page), so `dpi` scales them by `dpi / 96`; the file carries a `pHYs` chunk saying `dpi`
//! ([`super::export::png_with_dpi`], the page's code). Native only (feature `png`): the page
//! draws its PNGs on a canvas.
//!
//! The font is DejaVu Sans (regular and bold; `assets/fonts`, Bitstream Vera / DejaVu licence in
//! `assets/fonts/LICENSE-DejaVu.txt`), the face `sans-serif` resolves to on most Linux systems.

/// Pixels per inch the figures are laid out at (CSS px).
pub const LAYOUT_DPI: f64 = 96.0;
/// The resolutions `--dpi` accepts.
pub const DPI_RANGE: std::ops::RangeInclusive<f64> = 36.0..=1200.0;
/// Largest PNG side in pixels (bounded memory: 16 000² RGBA is 1 GB; this is 256 MB).
pub const MAX_SIDE: u32 = 8000;

const REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// `svg` (as the figure exports write it) → PNG bytes at `dpi`, white background, with a `pHYs`
/// chunk of `dpi`.
///
/// # Errors
/// A message when `dpi` is outside [`DPI_RANGE`], the image would exceed [`MAX_SIDE`] pixels a
/// side, or the SVG cannot be read.
pub fn svg_to_png(svg: &str, dpi: f64) -> Result<Vec<u8>, String> {
    if !dpi.is_finite() || !DPI_RANGE.contains(&dpi) {
        return Err(format!(
            "--dpi {dpi}: choose a resolution from {} to {}",
            DPI_RANGE.start(),
            DPI_RANGE.end()
        ));
    }
    let mut opt = resvg::usvg::Options::default();
    {
        let db = opt.fontdb_mut();
        db.load_font_data(REGULAR.to_vec());
        db.load_font_data(BOLD.to_vec());
        db.set_sans_serif_family("DejaVu Sans");
    }
    opt.font_family = "DejaVu Sans".to_string();
    let tree = resvg::usvg::Tree::from_str(svg, &opt)
        .map_err(|e| format!("the figure's SVG could not be read: {e}"))?;
    let scale = dpi / LAYOUT_DPI;
    let size = tree.size();
    let side = |v: f32| (f64::from(v) * scale).ceil();
    let (w, h) = (side(size.width()), side(size.height()));
    if w > f64::from(MAX_SIDE) || h > f64::from(MAX_SIDE) {
        return Err(format!(
            "at {dpi} dpi the figure would be {w} × {h} pixels (at most {MAX_SIDE} a side): choose a lower --dpi"
        ));
    }
    let mut pixmap = resvg::tiny_skia::Pixmap::new(w as u32, h as u32)
        .ok_or_else(|| format!("cannot make a {w} × {h} image"))?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    let s = scale as f32;
    resvg::render(&tree, resvg::tiny_skia::Transform::from_scale(s, s), &mut pixmap.as_mut());
    let png = pixmap.encode_png().map_err(|e| format!("the PNG could not be encoded: {e}"))?;
    super::export::png_with_dpi(&png, dpi)
        .ok_or_else(|| "the PNG could not be given its resolution".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SVG: &str = r##"<svg width="96" height="48" viewBox="0 0 96 48" xmlns="http://www.w3.org/2000/svg">
<rect x="0" y="0" width="96" height="48" fill="#FFFFFF"/>
<text x="4" y="4" dy="0.76em" font-family="sans-serif" font-size="16" fill="#000000">Se 0.9</text>
</svg>"##;

    #[test]
    fn scales_by_dpi_and_draws_the_text() {
        let png = svg_to_png(SVG, 192.0).unwrap();
        assert_eq!(&png[12..16], b"IHDR");
        let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert_eq!((w, h), (192, 96));
        // pHYs right after IHDR: 192 dpi = 7559 px per metre.
        assert_eq!(&png[37..41], b"pHYs");
        assert_eq!(u32::from_be_bytes(png[41..45].try_into().unwrap()), 7559);
        // Not blank: the text's dark pixels are there (a white image has none).
        let pix = resvg::tiny_skia::Pixmap::decode_png(&png).unwrap();
        let dark = pix.pixels().iter().filter(|p| p.red() < 128).count();
        assert!(dark > 100, "{dark} dark pixels");
        assert!(svg_to_png(SVG, 5000.0).is_err());
        assert!(svg_to_png(SVG, f64::NAN).is_err());
        assert!(svg_to_png("<svg", 300.0).is_err());
    }
}
