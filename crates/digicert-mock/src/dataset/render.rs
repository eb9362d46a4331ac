//! One order, as each endpoint tells it: a report row, order info, a sub-account order, a
//! status change, the list of reissues. All come from the same [`Order`], so they agree.

use chrono::{DateTime, FixedOffset, NaiveDate};
use digicert_model::{
    ApiKeyInfo, CaCert, Contact, Container, OrderCertificate, OrderInfo, OrderPrice, OrderRequest,
    OrderStatus, Organization, PayType, PaymentMethod, Product, ReissuedCertificate, ReportRow,
    ServerPlatform, StatusChange, Subaccount, SubaccountCertificate, SubaccountOrder, User,
};

use super::generate::{Core, Order, datetime_of};
use super::tables::{CSR_URL, INSTALL_URL, Person, SUBACCOUNTS, Status};
use crate::certs::to_hex;

/// A unix time as the JSON endpoints write it: UTC, `+00:00`.
fn utc(seconds: i64) -> Option<DateTime<FixedOffset>> {
    DateTime::from_timestamp(seconds, 0).map(|time| time.fixed_offset())
}

/// Days from the reference date to the end of validity (negative once expired).
fn days_remaining(valid_till: Option<NaiveDate>, today: NaiveDate) -> Option<i64> {
    valid_till.map(|till| (till - today).num_days())
}

fn some(text: &str) -> Option<String> {
    Some(text.to_owned())
}

fn contact(person: &Person) -> Contact {
    Contact {
        first_name: some(person.first),
        last_name: some(person.last),
        email: some(person.email),
        job_title: some(person.title),
        telephone: some(person.telephone),
        telephone_extension: None,
        ..Default::default()
    }
}

fn user(id: u64, person: &Person) -> User {
    User {
        id: Some(id),
        first_name: some(person.first),
        last_name: some(person.last),
        email: some(person.email),
        ..Default::default()
    }
}

impl Order {
    /// The order's row of the CSV order report.
    pub(crate) fn report_row(self) -> ReportRow {
        let core = self.core;
        let (user_id, person) = self.user;
        ReportRow {
            order_id: core.id,
            customer_order_id: self.customer_order_id,
            date_created: datetime_of(core.created),
            container_id: Some(self.container.0),
            container_name: some(self.container.1),
            status: core.status.model(),
            user_id: Some(user_id),
            organization_id: Some(self.org.id),
            organization_name: some(self.org.name),
            organization_address_1: some(self.org.address_1),
            organization_address_2: self.org.address_2.map(str::to_owned),
            organization_city: some(self.org.city),
            organization_state: some(self.org.state),
            organization_country: some(self.org.country),
            organization_unit: some(self.unit),
            tech_first_name: some(self.tech.first),
            tech_last_name: some(self.tech.last),
            tech_email: some(self.tech.email),
            tech_title: some(self.tech.title),
            tech_telephone: some(self.tech.telephone),
            server_type: Some(self.platform.0),
            issuing_ca: some(self.issuing_ca),
            agreement_id: Some(41),
            validity_years: Some(self.validity_years),
            signature_hash: some("sha256"),
            dcv_method: self.dcv_method.map(str::to_owned),
            common_name: Some(self.common_name),
            plus_feature: Some(self.flags.plus_feature),
            number_of_sans: u32::try_from(self.dns_names.len()).ok(),
            dns_names: self.dns_names,
            server_licenses: None,
            product_id: Some(self.product.id),
            product_name_id: some(self.product.name_id),
            product_name: some(self.product.name),
            product_type: Some(self.product.product_type()),
            email: self.email,
            csr: Some(self.csr),
            valid_from: core.valid_from,
            valid_till: core.valid_till,
            certificate_tracker_id: Some(core.certificate_id),
            is_renewed: Some(self.flags.is_renewed),
            renewed_order_id: self.renewed_order_id,
            receipt_id: self.receipt_id,
            disable_issuance_email: Some(self.flags.disable_issuance_email),
            pay_type: Some(self.pay_type),
            is_out_of_contract: Some(self.flags.out_of_contract),
            disable_renewal_notifications: Some(self.flags.disable_renewal_notifications),
            additional_emails: self.additional_emails,
            auto_renew: Some(u32::from(self.flags.auto_renew)),
            custom_renewal_message: self.custom_renewal_message.map(str::to_owned),
            thumbprint: self.thumbprint,
            serial_number: self.serial_number,
            account_id: Some(core.subaccount.map_or(super::tables::ACCOUNT_ID, |index| {
                SUBACCOUNTS.get(index).map_or(0, |sub| sub.account_id)
            })),
            user_first_name: some(person.first),
            user_last_name: some(person.last),
            user_email: some(person.email),
            user_assignments: vec![user_id],
            cost: self.cost,
            metadata: self.metadata,
            has_duplicates: Some(self.flags.has_duplicates),
            extra: Default::default(),
        }
    }

    /// The order's details (`GET /order/certificate/{id}`), as of the reference date.
    pub(crate) fn order_info(self, today: NaiveDate) -> OrderInfo {
        let core = self.core;
        let (user_id, person) = self.user;
        let org = self.org;
        let display_name = match org.assumed_name {
            Some(assumed) => format!("{} ({assumed})", org.name),
            None => org.name.to_owned(),
        };
        let certificate = OrderCertificate {
            id: Some(core.certificate_id),
            thumbprint: self.thumbprint,
            serial_number: self.serial_number,
            common_name: Some(self.common_name),
            emails: self.email.into_iter().collect(),
            dns_names: self.dns_names.clone(),
            date_created: utc(core.created),
            valid_from: core.valid_from,
            valid_till: core.valid_till,
            days_remaining: days_remaining(core.valid_till, today),
            csr: Some(self.csr),
            organization: Some(Organization {
                id: Some(org.id),
                ..Organization::default()
            }),
            organization_units: vec![self.unit.to_owned()],
            server_platform: Some(ServerPlatform {
                id: Some(self.platform.0),
                name: some(self.platform.1),
                install_url: some(INSTALL_URL),
                csr_url: some(CSR_URL),
                ..Default::default()
            }),
            signature_hash: some("sha256"),
            key_size: Some(self.key_size),
            ca_cert: core.status.has_certificate().then(|| CaCert {
                id: some("A1B2C3D4E5F60718"),
                name: some(self.issuing_ca),
                ..Default::default()
            }),
            user_id: Some(user_id),
            ..Default::default()
        };
        OrderInfo {
            id: core.id,
            certificate: Some(certificate),
            status: core.status.model(),
            is_renewal: Some(self.renewed_order_id.is_some_and(|id| id > 0)),
            is_renewed: Some(self.flags.is_renewed),
            renewed_order_id: self.renewed_order_id.filter(|&id| id > 0),
            date_created: utc(core.created),
            organization: Some(Organization {
                id: Some(org.id),
                name: some(org.name),
                assumed_name: org.assumed_name.map(str::to_owned),
                display_name: Some(display_name),
                city: some(org.city),
                state: some(org.state),
                country: some(org.country),
                ..Default::default()
            }),
            validity_years: Some(self.validity_years),
            disable_renewal_notifications: Some(self.flags.disable_renewal_notifications),
            auto_renew: Some(u32::from(self.flags.auto_renew)),
            container: Some(Container {
                id: Some(self.container.0),
                name: some(self.container.1),
                is_active: Some(true),
                ..Default::default()
            }),
            product: Some(Product {
                name_id: some(self.product.name_id),
                name: some(self.product.name),
                product_type: Some(self.product.product_type()),
                validation_type: self.product.validation_type(),
                validation_name: self.product.validation.map(|(_, name, _)| name.to_owned()),
                validation_description: self
                    .product
                    .validation
                    .map(|(_, _, description)| description.to_owned()),
                csr_required: Some(true),
                ..Default::default()
            }),
            organization_contact: Some(contact(self.tech)),
            technical_contact: Some(contact(self.tech)),
            user: Some(user(user_id, person)),
            purchased_dns_names: u32::try_from(self.dns_names.len().saturating_sub(1)).ok(),
            requests: vec![OrderRequest {
                id: Some(core.id * 2),
                date: utc(core.created),
                request_type: some("new_request"),
                status: some(match core.status {
                    Status::Pending | Status::NeedsApproval => "pending",
                    Status::Rejected => "rejected",
                    _ => "approved",
                }),
                comments: None,
                ..Default::default()
            }],
            receipt_id: self.receipt_id,
            cs_provisioning_method: None,
            public_id: Some(format!("{:016x}", core.id.wrapping_mul(0x9E37_79B9))),
            allow_duplicates: Some(self.flags.has_duplicates),
            user_assignments: vec![user(user_id, person)],
            is_out_of_contract: Some(self.flags.out_of_contract),
            payment_method: Some(match self.pay_type {
                PayType::CreditCard => PaymentMethod::Credit,
                PayType::Units => PaymentMethod::Profile,
                _ => PaymentMethod::Balance,
            }),
            product_name_id: some(self.product.name_id),
            custom_fields: self.metadata,
            disable_issuance_email: Some(self.flags.disable_issuance_email),
            disable_ct: Some(false),
            api_key: self.api_key.map(|(name, key_type)| ApiKeyInfo {
                name: some(name),
                key_type: Some(key_type),
                ..Default::default()
            }),
            ..OrderInfo::new(core.id, core.status.model())
        }
    }

    /// The order as the sub-account orders list shows it, if a sub-account placed it.
    pub(crate) fn subaccount_order(self) -> Option<SubaccountOrder> {
        let core = self.core;
        let sub = SUBACCOUNTS.get(core.subaccount?)?;
        let issued = core.status.has_certificate();
        let certificate = sub.direct.then(|| SubaccountCertificate {
            id: Some(core.certificate_id),
            thumbprint: self.thumbprint,
            serial_number: self.serial_number,
            common_name: Some(self.common_name),
            dns_names: self.dns_names.clone(),
            valid_till: core.valid_till,
            organization_units: vec![self.unit.to_owned()],
            signature_hash: some("sha256"),
            ..Default::default()
        });
        Some(SubaccountOrder {
            id: core.id,
            certificate,
            subaccount: Some(Subaccount {
                account_id: Some(sub.account_id),
                account_type: some(sub.account_type),
                organization_name: some(sub.organization_name),
                ..Default::default()
            }),
            product: Some(Product {
                name_id: some(self.product.name_id),
                name: some(self.product.name),
                product_type: Some(self.product.product_type()),
                ..Product::default()
            }),
            order_price: Some(OrderPrice {
                cost: format!("{}", self.product.price).parse().ok(),
                currency: some("USD"),
                ..Default::default()
            }),
            status: core.status.model(),
            number_of_sans: u32::try_from(self.dns_names.len()).ok(),
            date_created: utc(core.created),
            date_issued: core.issued.filter(|_| issued).and_then(utc),
            validity_years: Some(self.validity_years),
            extra: Default::default(),
        })
    }

    /// The order's reissued certificates, newest first (empty if never reissued).
    ///
    /// The current certificate comes first (pending for a reissue in progress), then the
    /// certificates reissues replaced while the server ran (revoked, with their thumbprints),
    /// then the generated earlier reissue requests (rejected).
    pub(crate) fn reissues(self, today: NaiveDate) -> Vec<ReissuedCertificate> {
        let core = self.core;
        let pending = core.status == Status::ReissuePending;
        if core.reissues == 0 && !pending && self.replaced.is_empty() {
            return Vec::new();
        }
        let (user_id, person) = self.user;
        let entry = |id: u64, status: OrderStatus| ReissuedCertificate {
            common_name: Some(self.common_name.clone()),
            dns_names: self.dns_names.clone(),
            date_created: utc(core.issued.unwrap_or(core.created)),
            csr: Some(self.csr.clone()),
            key_size: Some(self.key_size),
            user_id: Some(user_id),
            email: some(person.email),
            firstname: some(person.first),
            lastname: some(person.last),
            purchased_dns_names: Some(0),
            purchased_wildcard_names: Some(0),
            ..ReissuedCertificate::new(id, status)
        };
        let mut list = Vec::new();
        if pending {
            list.push(entry(core.certificate_id + 1, OrderStatus::Pending));
        }
        let mut current = entry(core.certificate_id, OrderStatus::Issued);
        current.thumbprint.clone_from(&self.thumbprint);
        current.serial_number.clone_from(&self.serial_number);
        current.valid_till = core.valid_till;
        current.days_remaining = days_remaining(core.valid_till, today);
        current.receipt_id = self.receipt_id;
        list.push(current);
        for replaced in &self.replaced {
            let mut earlier = entry(replaced.id, OrderStatus::Revoked);
            earlier.thumbprint = replaced.thumbprint.as_ref().map(|t| to_hex(t));
            earlier.serial_number = Some(replaced.serial_number.clone());
            earlier.date_created = utc(replaced.issued.unwrap_or(core.created));
            earlier.valid_till = Some(replaced.valid_till);
            earlier.days_remaining = days_remaining(Some(replaced.valid_till), today);
            list.push(earlier);
        }
        let generated = self
            .replaced
            .last()
            .map_or(core.certificate_id, |first| first.id);
        let first = generated.saturating_sub(u64::from(core.reissues));
        for id in (first + 1..generated).rev() {
            list.push(entry(id, OrderStatus::Rejected));
        }
        list
    }
}

impl Core {
    /// The order as a status change.
    pub(crate) fn status_change(&self) -> StatusChange {
        StatusChange {
            order_id: self.id,
            certificate_id: Some(self.certificate_id),
            status: self.status.model(),
            extra: Default::default(),
        }
    }
}
