//! The brand row and its public theme.

use poem_openapi::Object;
use serde::{Deserialize, Serialize};

use crate::types::Nullable;

/// A brand's public storefront look: what a frontend needs to render the brand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(default)]
#[oai(rename = "Theme")]
pub struct Theme {
    pub colors: ThemeColors,
    /// CSS font-family value, e.g. `"Inter", sans-serif`.
    pub font_family: String,
    /// Absolute URL of the brand's logo, if it has one.
    pub logo_url: Nullable<String>,
}

/// Colours as `#rrggbb`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(default)]
#[oai(rename = "ThemeColors")]
pub struct ThemeColors {
    pub primary: String,
    pub secondary: String,
    pub background: String,
    pub text: String,
}

impl Default for ThemeColors {
    fn default() -> Self {
        Self {
            primary: "#111111".into(),
            secondary: "#555555".into(),
            background: "#ffffff".into(),
            text: "#111111".into(),
        }
    }
}

impl Default for Theme {
    fn default() -> Self {
        Self {
            colors: ThemeColors::default(),
            font_family: "system-ui, sans-serif".into(),
            logo_url: Nullable::NULL,
        }
    }
}

impl Theme {
    /// Checks a theme before it is stored; returns `(field, problem)` pairs.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let c = &self.colors;
        for (name, value) in [
            ("primary", &c.primary),
            ("secondary", &c.secondary),
            ("background", &c.background),
            ("text", &c.text),
        ] {
            if !is_hex_colour(value) {
                out.push((
                    format!("theme.colors.{name}"),
                    "must be a colour like #1a2b3c".to_owned(),
                ));
            }
        }
        if self.font_family.trim().is_empty()
            || self.font_family.len() > 200
            || self.font_family.contains('\0')
            || self.font_family.contains(['{', '}', ';', '<', '>'])
        {
            out.push((
                "theme.font_family".to_owned(),
                "must be a CSS font-family of at most 200 characters".to_owned(),
            ));
        }
        if let Some(url) = &*self.logo_url
            && (!(url.starts_with("https://")
                || url.starts_with("http://")
                || url.starts_with('/'))
                || url.contains('\0'))
        {
            out.push((
                "theme.logo_url".to_owned(),
                "must be an http(s) URL or an absolute path".to_owned(),
            ));
        }
        out
    }
}

fn is_hex_colour(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].chars().all(|c| c.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_theme_is_valid() {
        assert!(Theme::default().problems().is_empty());
    }

    #[test]
    fn bad_theme_fields_are_named() {
        let mut t = Theme::default();
        t.colors.primary = "red".into();
        t.font_family = "x; } body { display:none".into();
        t.logo_url = Nullable(Some("javascript:alert(1)".into()));
        let fields: Vec<String> = t.problems().into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [
                "theme.colors.primary",
                "theme.font_family",
                "theme.logo_url"
            ]
        );
    }

    #[test]
    fn partial_theme_json_fills_defaults() {
        let t: Theme = serde_json::from_str(r##"{"colors":{"primary":"#ff0000"}}"##).unwrap();
        assert_eq!(t.colors.primary, "#ff0000");
        assert_eq!(t.colors.background, "#ffffff");
        assert_eq!(t.font_family, Theme::default().font_family);
    }
}
