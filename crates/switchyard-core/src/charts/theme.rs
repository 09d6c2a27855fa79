//! The two themes. Colours match the UI's CSS variables so a chart sits in the page as
//! if drawn by it, and a printed snapshot (light) stays legible.

use plotters::style::RGBColor;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    Dark,
    Light,
}

pub(crate) struct Palette {
    pub background: RGBColor,
    pub grid: RGBColor,
    pub text: RGBColor,
    pub lines: [RGBColor; 4],
    pub threshold: RGBColor,
    pub ok: RGBColor,
    pub warn: RGBColor,
    pub bad: RGBColor,
    pub neutral: RGBColor,
    pub action: RGBColor,
}

impl Theme {
    pub(crate) fn palette(self) -> Palette {
        match self {
            Theme::Dark => Palette {
                background: RGBColor(0x17, 0x1b, 0x21),
                grid: RGBColor(0x26, 0x2c, 0x35),
                text: RGBColor(0x8b, 0x95, 0xa3),
                lines: [
                    RGBColor(0x5b, 0xa7, 0xf7),
                    RGBColor(0xc2, 0x7a, 0xf2),
                    RGBColor(0x3f, 0xb2, 0x7f),
                    RGBColor(0xe0, 0xa5, 0x26),
                ],
                threshold: RGBColor(0xe5, 0x53, 0x4b),
                ok: RGBColor(0x3f, 0xb2, 0x7f),
                warn: RGBColor(0xe0, 0xa5, 0x26),
                bad: RGBColor(0xe5, 0x53, 0x4b),
                neutral: RGBColor(0x7d, 0x85, 0x90),
                action: RGBColor(0x5b, 0xa7, 0xf7),
            },
            Theme::Light => Palette {
                background: RGBColor(0xff, 0xff, 0xff),
                grid: RGBColor(0xdd, 0xe1, 0xe6),
                text: RGBColor(0x5b, 0x65, 0x73),
                lines: [
                    RGBColor(0x1f, 0x6f, 0xc5),
                    RGBColor(0x8a, 0x3f, 0xc7),
                    RGBColor(0x1d, 0x8a, 0x5a),
                    RGBColor(0xb0, 0x7d, 0x0c),
                ],
                threshold: RGBColor(0xc9, 0x2a, 0x22),
                ok: RGBColor(0x1d, 0x8a, 0x5a),
                warn: RGBColor(0xb0, 0x7d, 0x0c),
                bad: RGBColor(0xc9, 0x2a, 0x22),
                neutral: RGBColor(0x9a, 0xa1, 0xab),
                action: RGBColor(0x1f, 0x6f, 0xc5),
            },
        }
    }
}
