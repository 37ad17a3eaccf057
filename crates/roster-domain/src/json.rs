//! JSON bodies are objects. serde lets a derived struct be read from an array by position
//! (`["a@x.test", "pw", …]` as `{email, password, …}`), which no client means and which defeats
//! `deny_unknown_fields`. The body extractor refuses a top level that is not an object; a struct
//! nested in a body (`filters`) is read through [`object`], which accepts only a JSON object.

use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};

/// `#[serde(default, deserialize_with = "roster_domain::json::present")]` on an `Option<Option<T>>`
/// field: absent is `None`, an explicit `null` is `Some(None)` (a partial update that clears).
pub fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// `#[serde(default, deserialize_with = "roster_domain::json::object")]` on an `Option<T>` field
/// holding a struct: `null` or absent is `None`, an object is `Some(T)`, anything else a type
/// error ("expected a JSON object"). Field paths inside the object stay exact.
pub fn object<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct ObjectOrNull<T>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectOrNull<T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D2: Deserializer<'de>>(self, deserializer: D2) -> Result<Self::Value, D2::Error> {
            deserializer.deserialize_map(self)
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
        }
    }

    deserializer.deserialize_option(ObjectOrNull(PhantomData))
}

/// `#[serde(default, deserialize_with = "roster_domain::json::whole_number")]` on an
/// `Option<u32>`: JSON Schema's `integer` is any number with a zero fractional part, so `7.0` is
/// 7 as a generated client may send it; `7.5`, `-1` and values past `u32::MAX` are type errors.
pub fn whole_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    struct Whole;

    impl<'de> Visitor<'de> for Whole {
        type Value = Option<u32>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a non-negative integer in range")
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D2: Deserializer<'de>>(self, deserializer: D2) -> Result<Self::Value, D2::Error> {
            deserializer.deserialize_any(self)
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            u32::try_from(v).map(Some).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            u32::try_from(v).map(Some).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            if v.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&v) {
                // In range and whole: the conversion is exact.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                return Ok(Some(v as u32));
            }
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }

    deserializer.deserialize_option(Whole)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        a: Option<u8>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        #[serde(default, deserialize_with = "super::object")]
        inner: Option<Inner>,
    }

    #[test]
    fn a_nested_object_is_read() {
        let outer: Outer = serde_json::from_str(r#"{"inner":{"a":3}}"#).unwrap();
        assert_eq!(outer.inner, Some(Inner { a: Some(3) }));
    }

    #[test]
    fn null_and_absent_are_none() {
        assert_eq!(serde_json::from_str::<Outer>(r#"{"inner":null}"#).unwrap().inner, None);
        assert_eq!(serde_json::from_str::<Outer>(r"{}").unwrap().inner, None);
    }

    #[test]
    fn a_nested_array_is_not_read_by_position() {
        let err = serde_json::from_str::<Outer>(r#"{"inner":[3]}"#).unwrap_err();
        assert!(err.to_string().contains("expected a JSON object"), "{err}");
    }

    #[derive(Debug, Deserialize)]
    struct Paged {
        #[serde(default, deserialize_with = "super::whole_number")]
        limit: Option<u32>,
    }

    #[test]
    fn a_whole_number_may_be_written_as_a_float() {
        let limit = |text: &str| serde_json::from_str::<Paged>(text).map(|p| p.limit);
        assert_eq!(limit(r#"{"limit": 7}"#).unwrap(), Some(7));
        assert_eq!(limit(r#"{"limit": 7.0}"#).unwrap(), Some(7));
        assert_eq!(limit(r#"{"limit": null}"#).unwrap(), None);
        assert_eq!(limit(r"{}").unwrap(), None);
        for bad in [r#"{"limit": 7.5}"#, r#"{"limit": -1}"#, r#"{"limit": 1e12}"#, r#"{"limit": "7"}"#] {
            assert!(limit(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_fields_inside_stay_refused() {
        assert!(serde_json::from_str::<Outer>(r#"{"inner":{"b":1}}"#).is_err());
    }
}
