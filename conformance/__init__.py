"""A conformance suite for the FHIR R4 create interaction."""
