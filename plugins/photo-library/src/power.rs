//! The phone's power as indexing respects it: what the platform reports (the battery's
//! level, charge and temperature, the device's heat) and the rule for when a run may go
//! on. The rule follows Ente Photos' for its on-device indexing: not below 20 % of
//! battery, not with the battery above 42 °C, not while the system calls the device's
//! heat serious or critical; and, when the person asks for it, only while charging.
//! Below 20 % a phone that charges goes on (Ente pauses it too): the charger is there.
//!
//! Compiled on every platform, so that its tests run where the phones' code cannot.

use serde::Deserialize;

const MIN_BATTERY_PERCENT: u8 = 20;
const MAX_BATTERY_CELSIUS: f32 = 42.0;

/// How hot the system says the device is (iOS `ProcessInfo.ThermalState`; Android's
/// `PowerManager` thermal status, none and light as nominal, moderate as fair, severe as
/// serious, and above as critical).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Thermal {
    Nominal,
    Fair,
    Serious,
    Critical,
}

/// What the platform knows of the device's power; each part may be unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PowerState {
    #[serde(default)]
    pub battery_percent: Option<u8>,
    #[serde(default)]
    pub charging: Option<bool>,
    #[serde(default)]
    pub battery_celsius: Option<f32>,
    #[serde(default)]
    pub thermal: Option<Thermal>,
}

impl PowerState {
    /// Whether indexing may go on now, or why not (said to the person: "Paused: …").
    /// What the platform does not report does not hold a run back.
    pub fn may_index(&self, only_while_charging: bool) -> Result<(), String> {
        let hot = matches!(self.thermal, Some(Thermal::Serious | Thermal::Critical))
            || self
                .battery_celsius
                .is_some_and(|celsius| celsius > MAX_BATTERY_CELSIUS);
        if hot {
            return Err("the phone is hot".into());
        }
        if only_while_charging && self.charging == Some(false) {
            return Err("waiting for the charger".into());
        }
        if self.charging != Some(true)
            && self
                .battery_percent
                .is_some_and(|percent| percent < MIN_BATTERY_PERCENT)
        {
            return Err(format!("the battery is below {MIN_BATTERY_PERCENT} %"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(json: serde_json::Value) -> PowerState {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_hot_phone_a_low_battery_or_a_missing_charger_pause_indexing_and_nothing_unknown_does() {
        let fine = state(
            serde_json::json!({"batteryPercent": 80, "charging": false, "batteryCelsius": 31.5, "thermal": "fair"}),
        );
        assert_eq!(fine.may_index(false), Ok(()));
        assert_eq!(
            state(serde_json::json!({})).may_index(true),
            Ok(()),
            "nothing known: nothing holds it back"
        );

        let hot = |json| state(json).may_index(false).unwrap_err();
        assert_eq!(hot(serde_json::json!({"thermal": "serious"})), "the phone is hot");
        assert_eq!(
            hot(serde_json::json!({"thermal": "critical", "charging": true})),
            "the phone is hot"
        );
        assert_eq!(hot(serde_json::json!({"batteryCelsius": 43.0})), "the phone is hot");
        assert_eq!(
            state(serde_json::json!({"batteryCelsius": 42.0})).may_index(false),
            Ok(())
        );

        let low = state(serde_json::json!({"batteryPercent": 19, "charging": false}));
        assert_eq!(low.may_index(false).unwrap_err(), "the battery is below 20 %");
        let charging_low = state(serde_json::json!({"batteryPercent": 5, "charging": true}));
        assert_eq!(charging_low.may_index(true), Ok(()), "charging, a low battery goes on");
        assert_eq!(
            state(serde_json::json!({"batteryPercent": 20})).may_index(false),
            Ok(())
        );

        let unplugged = state(serde_json::json!({"batteryPercent": 90, "charging": false}));
        assert_eq!(unplugged.may_index(true).unwrap_err(), "waiting for the charger");
        assert_eq!(unplugged.may_index(false), Ok(()));
    }
}
