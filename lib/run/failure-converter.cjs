// Failure converter for processes with an encryption key: moves failure messages and stack traces into an encoded
// payload, so the payload codec encrypts them too (history then shows "Encoded failure"). CommonJS on purpose: the
// Temporal worker require()s it for activities and the bundler includes it in the workflow code.
'use strict';
const { DefaultFailureConverter } = require('@temporalio/common');

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
