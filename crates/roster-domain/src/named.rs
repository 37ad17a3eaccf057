//! Closed sets of names (statuses, actions, labels, reasons) are stored and sent as their
//! lowercase strings but handled as enums, so a misspelt status is a compile error and a screen
//! that filters by one can list every value. `named_enum!` writes the enum, its `ALL`, its one
//! spelling each way (`as_str`, `parse`), `Display` and the matching serde names once.

/// `named_enum! { /// doc  pub enum Name { Variant = "text", … } }`
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:tt, )+
        }
    ) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant),+];

            /// The name as it is stored and sent.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }

            /// The value of an exact name.
            pub fn parse(name: &str) -> Option<Self> {
                match name {
                    $( $text => Some($name::$variant), )+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::named::UnknownName;
            fn from_str(name: &str) -> Result<Self, Self::Err> {
                Self::parse(name).ok_or_else(|| $crate::named::UnknownName::new(stringify!($name), name))
            }
        }

        /// For rows that store the name (`#[sqlx(try_from = "String")]`).
        impl TryFrom<String> for $name {
            type Error = $crate::named::UnknownName;
            fn try_from(name: String) -> Result<Self, Self::Error> {
                name.parse()
            }
        }
    };
}

/// A name that is none of its set's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name:?} is not a {set}")]
pub struct UnknownName {
    set: &'static str,
    name: String,
}

impl UnknownName {
    pub(crate) fn new(set: &'static str, name: &str) -> Self {
        Self { set, name: name.to_owned() }
    }
}

pub(crate) use named_enum;

#[cfg(test)]
mod tests {
    named_enum! {
        /// A test set.
        enum Colour {
            Red = "red",
            DarkBlue = "dark_blue",
        }
    }

    #[test]
    fn every_value_reads_back_from_its_own_name_and_serialises_as_it() {
        for colour in Colour::ALL {
            assert_eq!(Colour::parse(colour.as_str()), Some(colour));
            assert_eq!(serde_json::to_value(colour).unwrap(), serde_json::json!(colour.as_str()));
            assert_eq!(colour.to_string(), colour.as_str());
        }
        assert_eq!(Colour::parse("Red"), None);
        assert_eq!("red".parse(), Ok(Colour::Red));
        let unknown = "blue".parse::<Colour>().unwrap_err();
        assert_eq!(unknown.to_string(), r#""blue" is not a Colour"#);
        assert_eq!(Colour::ALL.len(), 2);
    }
}
