//! The fixed vocabulary orders are drawn from: products, organizations, people, containers.
//!
//! Everything here is made up: `example.com`/`.org`/`.net` addresses, placeholder names,
//! 555-01xx telephone numbers. The first entries of some tables are the placeholders of
//! DigiCert's own documentation examples, which the seed orders use.

use digicert_model::{OrderStatus, ProductType, ValidationType};

/// The status of an order, as a small copyable value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Pending,
    Processing,
    NeedsApproval,
    NeedsCsr,
    ReissuePending,
    WaitingPickup,
    Issued,
    Rejected,
    Revoked,
    Canceled,
    Expired,
}

impl Status {
    /// The model's value for this status.
    pub(crate) fn model(self) -> OrderStatus {
        match self {
            Self::Pending => OrderStatus::Pending,
            Self::Processing => OrderStatus::Processing,
            Self::NeedsApproval => OrderStatus::NeedsApproval,
            Self::NeedsCsr => OrderStatus::NeedsCsr,
            Self::ReissuePending => OrderStatus::ReissuePending,
            Self::WaitingPickup => OrderStatus::WaitingPickup,
            Self::Issued => OrderStatus::Issued,
            Self::Rejected => OrderStatus::Rejected,
            Self::Revoked => OrderStatus::Revoked,
            Self::Canceled => OrderStatus::Canceled,
            Self::Expired => OrderStatus::Expired,
        }
    }

    /// The status for the model's value; `None` for a value the fake does not know.
    pub(crate) fn of(status: &OrderStatus) -> Option<Self> {
        Some(match status {
            OrderStatus::Pending => Self::Pending,
            OrderStatus::Processing => Self::Processing,
            OrderStatus::NeedsApproval => Self::NeedsApproval,
            OrderStatus::NeedsCsr => Self::NeedsCsr,
            OrderStatus::ReissuePending => Self::ReissuePending,
            OrderStatus::WaitingPickup => Self::WaitingPickup,
            OrderStatus::Issued => Self::Issued,
            OrderStatus::Rejected => Self::Rejected,
            OrderStatus::Revoked => Self::Revoked,
            OrderStatus::Canceled => Self::Canceled,
            OrderStatus::Expired => Self::Expired,
            _ => return None,
        })
    }

    /// Whether the order holds a certificate in force, one that can be revoked or reissued.
    pub(crate) fn in_force(self) -> bool {
        matches!(
            self,
            Self::Issued | Self::ReissuePending | Self::WaitingPickup
        )
    }

    /// Whether an order in this status has an issued certificate (thumbprint, serial, dates).
    pub(crate) fn has_certificate(self) -> bool {
        matches!(
            self,
            Self::Issued
                | Self::ReissuePending
                | Self::WaitingPickup
                | Self::Revoked
                | Self::Expired
        )
    }
}

/// How often each status is drawn, per mille (issued orders past their end become expired).
pub(crate) const STATUS_WEIGHTS: &[(Status, u32)] = &[
    (Status::Issued, 760),
    (Status::Pending, 50),
    (Status::Processing, 20),
    (Status::NeedsApproval, 40),
    (Status::NeedsCsr, 10),
    (Status::ReissuePending, 20),
    (Status::WaitingPickup, 10),
    (Status::Rejected, 30),
    (Status::Revoked, 30),
    (Status::Canceled, 30),
];

/// A product that can be ordered.
pub(crate) struct Product {
    pub(crate) id: u64,
    pub(crate) name_id: &'static str,
    pub(crate) name: &'static str,
    pub(crate) kind: ProductKind,
    pub(crate) validation: Option<(&'static str, &'static str, &'static str)>,
    /// Price in dollars.
    pub(crate) price: u32,
    /// How many extra names the order may carry beyond the common name.
    pub(crate) max_extra_names: u64,
}

/// What a product's certificate names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProductKind {
    Ssl,
    Wildcard,
    Private,
    Client,
    CodeSigning,
}

impl Product {
    /// The model's product type.
    pub(crate) fn product_type(&self) -> ProductType {
        match self.kind {
            ProductKind::Ssl | ProductKind::Wildcard => ProductType::SslCertificate,
            ProductKind::Private => ProductType::PrivateSslCertificate,
            ProductKind::Client => ProductType::ClientCertificate,
            ProductKind::CodeSigning => ProductType::CodeSigningCertificate,
        }
    }

    /// The model's validation type, if the product has one.
    pub(crate) fn validation_type(&self) -> Option<ValidationType> {
        self.validation
            .map(|(code, _, _)| ValidationType::from(code))
    }
}

const OV: Option<(&str, &str, &str)> = Some(("ov", "OV", "Normal Organization Validation"));
const EV: Option<(&str, &str, &str)> = Some(("ev", "EV", "Extended Organization Validation"));
const DV: Option<(&str, &str, &str)> = Some(("dv", "DV", "Domain Validation"));

/// Products; the first three are the seed examples' (`ssl_plus`, `ssl_wildcard`, `ssl_multi_domain`).
pub(crate) const PRODUCTS: &[Product] = &[
    Product {
        id: 1,
        name_id: "ssl_plus",
        name: "Standard SSL",
        kind: ProductKind::Ssl,
        validation: OV,
        price: 198,
        max_extra_names: 1,
    },
    Product {
        id: 2,
        name_id: "ssl_wildcard",
        name: "WildCard",
        kind: ProductKind::Wildcard,
        validation: OV,
        price: 688,
        max_extra_names: 0,
    },
    Product {
        id: 3,
        name_id: "ssl_multi_domain",
        name: "Multi-Domain SSL",
        kind: ProductKind::Ssl,
        validation: OV,
        price: 358,
        max_extra_names: 4,
    },
    Product {
        id: 4,
        name_id: "ssl_securesite",
        name: "Secure Site SSL",
        kind: ProductKind::Ssl,
        validation: OV,
        price: 399,
        max_extra_names: 1,
    },
    Product {
        id: 5,
        name_id: "ssl_ev_basic",
        name: "EV SSL",
        kind: ProductKind::Ssl,
        validation: EV,
        price: 344,
        max_extra_names: 2,
    },
    Product {
        id: 6,
        name_id: "ssl_dv_geotrust",
        name: "GeoTrust DV SSL",
        kind: ProductKind::Ssl,
        validation: DV,
        price: 99,
        max_extra_names: 1,
    },
    Product {
        id: 7,
        name_id: "private_ssl_plus",
        name: "Private SSL",
        kind: ProductKind::Private,
        validation: None,
        price: 0,
        max_extra_names: 2,
    },
    Product {
        id: 8,
        name_id: "client_premium",
        name: "Premium",
        kind: ProductKind::Client,
        validation: OV,
        price: 199,
        max_extra_names: 0,
    },
    Product {
        id: 9,
        name_id: "code_signing",
        name: "Code Signing",
        kind: ProductKind::CodeSigning,
        validation: OV,
        price: 474,
        max_extra_names: 0,
    },
];

/// How often each product (index into [`PRODUCTS`]) is drawn, per mille.
pub(crate) const PRODUCT_WEIGHTS: &[(usize, u32)] = &[
    (0, 330),
    (1, 120),
    (2, 150),
    (3, 100),
    (4, 80),
    (5, 80),
    (6, 50),
    (7, 50),
    (8, 40),
];

/// An organization orders are placed for.
pub(crate) struct Org {
    pub(crate) id: u64,
    pub(crate) name: &'static str,
    pub(crate) assumed_name: Option<&'static str>,
    pub(crate) address_1: &'static str,
    pub(crate) address_2: Option<&'static str>,
    pub(crate) city: &'static str,
    pub(crate) state: &'static str,
    pub(crate) country: &'static str,
}

/// Organizations; the first is the seed report's, several have non-ASCII names, one a comma.
pub(crate) const ORGS: &[Org] = &[
    Org {
        id: 221133,
        name: "Real Organization",
        assumed_name: None,
        address_1: "123 Fake Street",
        address_2: None,
        city: "Lehi",
        state: "Utah",
        country: "us",
    },
    Org {
        id: 300001,
        name: "Example Widgets Inc.",
        assumed_name: Some("Example Widgets"),
        address_1: "1 Example Way",
        address_2: Some("Suite 100"),
        city: "Springfield",
        state: "Illinois",
        country: "us",
    },
    Org {
        id: 300002,
        name: "Société Exemple SARL",
        assumed_name: None,
        address_1: "12 rue de l'Exemple",
        address_2: None,
        city: "Lyon",
        state: "Auvergne-Rhône-Alpes",
        country: "fr",
    },
    Org {
        id: 300003,
        name: "Müller & Söhne Beispiel GmbH",
        assumed_name: Some("Beispiel"),
        address_1: "Beispielstraße 5",
        address_2: None,
        city: "München",
        state: "Bayern",
        country: "de",
    },
    Org {
        id: 300004,
        name: "株式会社サンプル",
        assumed_name: None,
        address_1: "1-2-3 Example-cho",
        address_2: None,
        city: "東京",
        state: "Tokyo",
        country: "jp",
    },
    Org {
        id: 300005,
        name: "Placeholder Holdings, LLC",
        assumed_name: Some("Placeholder"),
        address_1: "500 Sample Avenue",
        address_2: Some("Floor 2"),
        city: "Austin",
        state: "Texas",
        country: "us",
    },
    Org {
        id: 300006,
        name: "Παράδειγμα Α.Ε.",
        assumed_name: None,
        address_1: "Odos Paradeigmatos 7",
        address_2: None,
        city: "Αθήνα",
        state: "Attica",
        country: "gr",
    },
    Org {
        id: 300007,
        name: "Ejemplo Niño y Compañía S.L.",
        assumed_name: None,
        address_1: "Calle del Ejemplo 3",
        address_2: None,
        city: "Madrid",
        state: "Madrid",
        country: "es",
    },
];

/// Organization units on certificates.
pub(crate) const UNITS: &[&str] = &[
    "IT department",
    "Finance",
    "Sales",
    "Engineering",
    "Operations",
    "Research & Development",
];

/// A person: a user of the account or a contact.
pub(crate) struct Person {
    pub(crate) first: &'static str,
    pub(crate) last: &'static str,
    pub(crate) email: &'static str,
    pub(crate) title: &'static str,
    pub(crate) telephone: &'static str,
}

/// People; the first is the seed report's placeholder, the rest are obviously fake.
pub(crate) const PEOPLE: &[Person] = &[
    Person {
        first: "Will",
        last: "Smith",
        email: "will.smith@example.com",
        title: "Fresh Prince",
        telephone: "8015555555",
    },
    Person {
        first: "Testy",
        last: "McTestface",
        email: "testy.mctestface@example.com",
        title: "Chief Tester",
        telephone: "555-0101",
    },
    Person {
        first: "Jane",
        last: "Placeholder",
        email: "jane.placeholder@example.org",
        title: "PKI Administrator",
        telephone: "555-0102",
    },
    Person {
        first: "Alex",
        last: "Example",
        email: "alex.example@example.net",
        title: "Site Reliability Engineer",
        telephone: "555-0103",
    },
    Person {
        first: "Zoë",
        last: "Exemplar",
        email: "zoe.exemplar@example.com",
        title: "Security Engineer",
        telephone: "555-0104",
    },
    Person {
        first: "Renée",
        last: "Testperson",
        email: "renee.testperson@example.org",
        title: "IT Manager",
        telephone: "555-0105",
    },
    Person {
        first: "Sam",
        last: "Sample",
        email: "sam.sample@example.net",
        title: "Developer",
        telephone: "555-0106",
    },
];

/// Account users: their ID and which person they are (index into [`PEOPLE`]).
pub(crate) const USERS: &[(u64, usize)] = &[
    (123123, 0),
    (257107, 0),
    (400001, 1),
    (400002, 2),
    (400003, 3),
    (400004, 4),
    (400005, 5),
];

/// Containers (divisions): ID and name; the first is the seed report's.
pub(crate) const CONTAINERS: &[(u64, &str)] = &[
    (112233, "Will Smith"),
    (15, "History Department"),
    (20001, "Web Platform"),
    (20002, "Finance Ops"),
    (20003, "Recherche & Développement"),
];

/// Server platforms: ID and name.
pub(crate) const PLATFORMS: &[(i64, &str)] = &[
    (-1, "OTHER"),
    (2, "Apache"),
    (5, "Microsoft IIS 10"),
    (45, "nginx"),
];

/// A sub-account that places orders of its own.
pub(crate) struct SubaccountRow {
    pub(crate) account_id: u64,
    pub(crate) account_type: &'static str,
    pub(crate) organization_name: &'static str,
    /// Whether it is a direct sub-account (its orders show their certificate).
    pub(crate) direct: bool,
}

/// Sub-accounts; the first is the seed's.
pub(crate) const SUBACCOUNTS: &[SubaccountRow] = &[
    SubaccountRow {
        account_id: 123445,
        account_type: "enterprise",
        organization_name: "Sub account organization",
        direct: true,
    },
    SubaccountRow {
        account_id: 223344,
        account_type: "enterprise",
        organization_name: "Ejemplo Subcuenta S.A.",
        direct: true,
    },
    SubaccountRow {
        account_id: 334455,
        account_type: "retail",
        organization_name: "Nested Reseller Ltd",
        direct: false,
    },
    SubaccountRow {
        account_id: 445566,
        account_type: "enterprise",
        organization_name: "Tiefer Unterkonto GmbH",
        direct: false,
    },
];

/// The main account's ID (the seed report's).
pub(crate) const ACCOUNT_ID: u64 = 4567890;

/// Host name stems for generated common names.
pub(crate) const HOSTS: &[&str] = &[
    "shop", "api", "mail", "portal", "intranet", "vpn", "cdn", "app", "login", "files", "status",
    "docs",
];

/// Sub-domain labels for extra names.
pub(crate) const LABELS: &[&str] = &["www", "m", "static", "admin", "beta", "eu", "us"];

/// Top-level example domains.
pub(crate) const DOMAINS: &[&str] = &["example.com", "example.org", "example.net"];

/// Domain control validation methods.
pub(crate) const DCV_METHODS: &[&str] =
    &["email", "dns-txt-token", "http-token", "dns-cname-token"];

/// Issuing CAs.
pub(crate) const ISSUING_CAS: &[&str] = &[
    "DigiCert Global G2 TLS RSA SHA256 2020 CA1",
    "DigiCert SHA2 Secure Server CA",
    "DigiCert Global Root CA",
];

/// Custom fields (metadata) an order may carry: ID and label (one label has a comma).
pub(crate) const CUSTOM_FIELDS: &[(u64, &str)] =
    &[(12, "Invoice #"), (13, "Cost center"), (14, "Owner, team")];

/// Where DigiCert's installation and CSR instructions are (as in the documentation examples).
pub(crate) const INSTALL_URL: &str = "http://www.digicert.com/SSL-certificate-installation.htm";
/// See [`INSTALL_URL`].
pub(crate) const CSR_URL: &str = "http://www.digicert.com/csr-creation.htm";
