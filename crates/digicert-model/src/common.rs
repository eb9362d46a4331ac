//! Objects that several endpoints share: products, organizations, people, custom fields.

use crate::enums::{ProductType, ValidationType};
use crate::object::json_object;

json_object! {
    /// The product an order is for.
    #[derive(Default)]
    pub struct Product {
        /// Product identifier, such as `ssl_plus`.
        pub name_id: Option<String>,
        /// Display name, such as `Standard SSL`.
        pub name: Option<String>,
        /// Product type.
        pub product_type: Option<ProductType> as "type",
        /// Validation the product requires.
        pub validation_type: Option<ValidationType>,
        /// Display name of the validation type.
        pub validation_name: Option<String>,
        /// Description of the validation type.
        pub validation_description: Option<String>,
        /// Whether the product needs a CSR.
        pub csr_required: Option<bool>,
    }
}

json_object! {
    /// An organization as order info describes it.
    #[derive(Default)]
    pub struct Organization {
        /// Organization ID.
        pub id: Option<u64>,
        /// Legal name.
        pub name: Option<String>,
        /// Public ("doing business as") name.
        pub assumed_name: Option<String>,
        /// Name and assumed name together.
        pub display_name: Option<String>,
        /// City.
        pub city: Option<String>,
        /// State or province.
        pub state: Option<String>,
        /// Country code, such as `us`.
        pub country: Option<String>,
        /// Whether the organization is active.
        pub is_active: Option<bool>,
    }
}

json_object! {
    /// A contact person (organization or technical contact).
    #[derive(Default)]
    pub struct Contact {
        /// First name.
        pub first_name: Option<String>,
        /// Last name.
        pub last_name: Option<String>,
        /// Email address.
        pub email: Option<String>,
        /// Job title.
        pub job_title: Option<String>,
        /// Telephone number.
        pub telephone: Option<String>,
        /// Telephone extension.
        pub telephone_extension: Option<String>,
    }
}

json_object! {
    /// A CertCentral user (who placed an order, or is assigned to it).
    #[derive(Default)]
    pub struct User {
        /// User ID.
        pub id: Option<u64>,
        /// First name.
        pub first_name: Option<String>,
        /// Last name.
        pub last_name: Option<String>,
        /// Email address.
        pub email: Option<String>,
    }
}

json_object! {
    /// A custom field value: `custom_fields` in order info, `metadata` in the order report.
    #[derive(Default)]
    pub struct CustomField {
        /// ID of the custom field definition.
        pub metadata_id: Option<u64>,
        /// The field's name.
        pub label: Option<String>,
        /// The value entered.
        pub value: Option<String>,
    }
}
