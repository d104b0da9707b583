//! A `multipart/form-data` body built part by part (store logos, inspection photos).

/// The parts written so far under one boundary.
pub struct Multipart {
    boundary: &'static str,
    body: Vec<u8>,
}

impl Multipart {
    pub fn new(boundary: &'static str) -> Multipart {
        Multipart {
            boundary,
            body: Vec::new(),
        }
    }

    /// A plain field.
    pub fn text(mut self, name: &str, value: &[u8]) -> Multipart {
        self.head(&format!("name=\"{name}\"\r\n"));
        self.part(value)
    }

    /// A file part: its field name, file name, content type and bytes.
    pub fn file(mut self, name: &str, filename: &str, kind: &str, bytes: &[u8]) -> Multipart {
        self.head(&format!(
            "name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {kind}\r\n"
        ));
        self.part(bytes)
    }

    /// The `Content-Type` header value and the finished body.
    pub fn finish(mut self) -> (String, Vec<u8>) {
        let boundary = self.boundary;
        self.body
            .extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        (
            format!("multipart/form-data; boundary={boundary}"),
            self.body,
        )
    }

    fn head(&mut self, disposition: &str) {
        let boundary = self.boundary;
        self.body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; {disposition}\r\n").as_bytes(),
        );
    }

    fn part(mut self, value: &[u8]) -> Multipart {
        self.body.extend_from_slice(value);
        self.body.extend_from_slice(b"\r\n");
        self
    }
}
