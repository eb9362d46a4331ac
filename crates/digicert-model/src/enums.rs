//! Enumerations of values CertCentral documents, open to values it adds later.
//!
//! DigiCert adds statuses and product types without notice. Every enum here has
//! an `Unknown(String)` arm that keeps such a value as sent and writes it back
//! unchanged, so a new value never fails a decode or gets lost on the way out.

/// Declares an open enum: known variants with their wire text, plus `Unknown(String)`.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version does not know, kept exactly as received.
            Unknown(String),
        }

        impl $name {
            /// Every value this version knows, as CertCentral writes them.
            pub const KNOWN: &'static [&'static str] = &[ $( $text, )* ];

            /// The value as CertCentral writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )*
                    Self::Unknown(text) => text,
                }
            }

            /// Whether this is a value this version does not know.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                match text {
                    $( $text => Self::$variant, )*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(text))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                crate::lenient::text(d)
            }
        }

        impl crate::field::Scalar for $name {
            type Visitor = crate::lenient::TextVisitor<Self>;

            fn visitor() -> Self::Visitor {
                crate::lenient::TextVisitor::new()
            }
            fn exact(&self, sent: crate::field::Sent<'_>) -> bool {
                matches!(sent, crate::field::Sent::Str(_))
            }
            fn write<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

open_enum! {
    /// The status of an order (also of a reissue and of a status change).
    pub enum OrderStatus {
        /// Submitted, waiting for validation.
        Pending => "pending",
        /// Being processed by DigiCert.
        Processing => "processing",
        /// Waiting for an administrator's approval.
        NeedsApproval => "needs_approval",
        /// Waiting for a CSR.
        NeedsCsr => "needs_csr",
        /// A reissue is in progress.
        ReissuePending => "reissue_pending",
        /// Issued, waiting for the customer to pick it up.
        WaitingPickup => "waiting_pickup",
        /// The certificate was issued.
        Issued => "issued",
        /// The request was rejected.
        Rejected => "rejected",
        /// The certificate was revoked.
        Revoked => "revoked",
        /// The order was canceled.
        Canceled => "canceled",
        /// The certificate has expired.
        Expired => "expired",
    }
}

open_enum! {
    /// The kind of product ordered.
    pub enum ProductType {
        /// A TLS/SSL server certificate.
        SslCertificate => "ssl_certificate",
        /// A client (S/MIME or authentication) certificate.
        ClientCertificate => "client_certificate",
        /// A code signing certificate.
        CodeSigningCertificate => "code_signing_certificate",
        /// A document signing certificate.
        DocumentSigningCertificate => "document_signing_certificate",
        /// A certificate from a private CA.
        PrivateSslCertificate => "private_ssl_certificate",
    }
}

open_enum! {
    /// How an order in the order report was paid (`pay_type` column).
    pub enum PayType {
        /// Paid from the account balance (`A`).
        AccountBalance => "A",
        /// Paid by credit card (`C`).
        CreditCard => "C",
        /// Paid in units (`U`).
        Units => "U",
    }
}

open_enum! {
    /// How an order was paid (`payment_method` in order info).
    pub enum PaymentMethod {
        /// The account balance.
        Balance => "balance",
        /// A credit card.
        Credit => "credit",
        /// The account's default payment profile.
        Profile => "profile",
    }
}

open_enum! {
    /// How an order was requested through the API (`api_key.key_type`).
    pub enum KeyType {
        /// A Services API key.
        ApiKey => "api_key",
        /// An ACME directory URL.
        AcmeUrl => "acme_url",
    }
}

open_enum! {
    /// The validation a product requires (`product.validation_type`).
    pub enum ValidationType {
        /// Domain validation.
        Dv => "dv",
        /// Organization validation.
        Ov => "ov",
        /// Extended validation.
        Ev => "ev",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_map_to_variants() {
        assert_eq!(
            OrderStatus::from("needs_approval"),
            OrderStatus::NeedsApproval
        );
        assert_eq!(PayType::from("U"), PayType::Units);
        assert_eq!(KeyType::AcmeUrl.to_string(), "acme_url");
    }

    #[test]
    fn unknown_values_are_kept_and_written_back_unchanged() {
        let status: OrderStatus = serde_json::from_str("\"awaiting_magic\"").unwrap();
        assert_eq!(status, OrderStatus::Unknown("awaiting_magic".into()));
        assert!(status.is_unknown());
        assert_eq!(
            serde_json::to_string(&status).unwrap(),
            "\"awaiting_magic\""
        );
    }

    #[test]
    fn known_values_are_listed_in_order() {
        assert_eq!(OrderStatus::KNOWN.len(), 11);
        assert_eq!(OrderStatus::KNOWN[0], "pending");
        assert!(
            OrderStatus::KNOWN
                .iter()
                .all(|s| !OrderStatus::from(*s).is_unknown())
        );
    }

    #[test]
    fn matching_is_exact() {
        // A different spelling is a different value: keep it rather than guess.
        assert!(OrderStatus::from("Issued").is_unknown());
    }

    #[test]
    fn numbers_are_read_as_their_text() {
        let pay: PayType = serde_json::from_str("7").unwrap();
        assert_eq!(pay, PayType::Unknown("7".into()));
    }
}
