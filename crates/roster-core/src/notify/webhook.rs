//! SMS and push through the providers' webhooks (API.md §2).

use serde_json::{Value, json};

use super::{DeliveryError, Notifier, client};

impl Notifier {
    /// POST `{"to","body"}` to `ROSTER_SMS_WEBHOOK_URL`.
    pub async fn send_sms(&self, to: &str, body: &str) -> Result<(), DeliveryError> {
        let url = self.inner.sms_url.as_ref().ok_or(DeliveryError::NotConfigured("ROSTER_SMS_WEBHOOK_URL"))?;
        let payload = json!({ "to": to, "body": body });
        client::post_json(self.http()?, url, payload.to_string().into_bytes(), None).await
    }

    /// POST `{"tokens","title","body","data"}` to `ROSTER_PUSH_WEBHOOK_URL`.
    pub async fn send_push(
        &self,
        tokens: &[String],
        title: &str,
        body: &str,
        data: &Value,
    ) -> Result<(), DeliveryError> {
        let url = self.inner.push_url.as_ref().ok_or(DeliveryError::NotConfigured("ROSTER_PUSH_WEBHOOK_URL"))?;
        let payload = json!({ "tokens": tokens, "title": title, "body": body, "data": data });
        client::post_json(self.http()?, url, payload.to_string().into_bytes(), None).await
    }
}
