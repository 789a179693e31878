// Validates a CycloneDX 1.6 JSON document against the official schema (strict: no unknown properties), with the
// CycloneDX project's own library. Prints "valid", or the schema errors and exits 1.
const CDX = require('@cyclonedx/cyclonedx-library');
const fs = require('fs');

const validator = new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6);
validator.validate(fs.readFileSync(process.argv[2], 'utf8')).then(errors => {
  if (errors) { console.log(JSON.stringify(errors, null, 1)); process.exit(1); }
  console.log('valid');
}).catch(e => { console.error(String(e)); process.exit(2); });
