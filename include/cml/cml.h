/*
 * cml/cml.h — the umbrella header: everything public in libcml.
 */
#ifndef CML_CML_H
#define CML_CML_H

#include "cml/bayes.h"
#include "cml/cluster.h"
#include "cml/core.h"
#include "cml/data.h"
#include "cml/decomp.h"
#include "cml/drift.h"
#include "cml/embed.h"
#include "cml/ensemble.h"
#include "cml/gbm.h"
#include "cml/gguf.h"
#include "cml/hdbscan.h"
#include "cml/index.h"
#include "cml/linear.h"
#include "cml/logreg.h"
#include "cml/metrics.h"
#include "cml/model.h"
#include "cml/neighbors.h"
#include "cml/nn.h"
#include "cml/plot.h"
#include "cml/preprocess.h"
#include "cml/rag.h"
#include "cml/serve.h"
#include "cml/svm.h"
#include "cml/text.h"
#include "cml/track.h"
#include "cml/tree.h"

#endif
