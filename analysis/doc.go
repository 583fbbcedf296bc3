// Package analysis is the layer of distroscope's analyses, one package
// each: compare (one ecosystem, release against release), crossmap
// (distribution against distribution) and report (the documents a
// comparison is read as); trends, runtime images, usage and search come
// next, as siblings.
//
// Every analysis has the same shape, so that a new one copies a sibling:
//
//   - a domain package here that reads its inputs from the store, computes,
//     and commits its own datasets through package datasets (staged parts,
//     then data objects, then manifests, last the table that marks it done),
//     free of Temporal and testable against a local folder;
//   - a thin activity in activities/ that heartbeats, classifies errors
//     (bad input is non-retryable) and calls it;
//   - a workflow in workflows/ with its progress query, registered with its
//     activities by the area's one Register function;
//   - one command file in starter/, and its report.
package analysis
