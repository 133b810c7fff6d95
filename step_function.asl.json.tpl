{
  "Comment": "Rotates IAM user access keys: plan, then rotate and hand off each user in batches of a Distributed Map, one grace wait, then retire the previously delivered keys. Contract: docs/design.md.",
  "StartAt": "Plan",
  "States": {
    "Plan": {
      "Comment": "Writes the run's batches to the run-data bucket and returns where they are; the state becomes {run, resume}.",
      "Type": "Task",
      "Resource": "arn:${partition}:states:::lambda:invoke",
      "Parameters": {
        "FunctionName": "${function_arns.plan}",
        "Payload": {
          "input.$": "$",
          "executionArn.$": "$$.Execution.Id",
          "startTime.$": "$$.Execution.StartTime"
        }
      },
      "ResultSelector": {
        "run.$": "$.Payload",
        "resume": null
      },
      "ResultPath": "$",
      "Retry": ${transient_retry},
      "Catch": [
        {
          "ErrorEquals": [
            "InvalidRunInput",
            "InvalidUsersParameter",
            "UnknownUser",
            "RotationAlreadyRunning"
          ],
          "Next": "ExplainRefusal"
        }
      ],
      "Next": "RotateUsers"
    },
    "RotateUsers": {
      "Comment": "One child execution per batch of users, each with its own history; the items are read from the run-data bucket, not passed in the state. Every child records its batch's outcomes itself, so one failed child fails no other: every batch may fail (ToleratedFailureCountPath, the number of batches) without failing the Map Run, which would abort the children still running. Finish reports a batch without outcomes as failed.",
      "Type": "Map",
      "ItemReader": {
        "Resource": "arn:${partition}:states:::s3:getObject",
        "ReaderConfig": {
          "InputType": "JSON"
        },
        "Parameters": {
          "Bucket": "${run_data_bucket}",
          "Key.$": "$.run.itemsKey"
        }
      },
      "ItemSelector": {
        "batch.$": "$$.Map.Item.Value.batch",
        "entries.$": "$$.Map.Item.Value.entries",
        "run.$": "$.run"
      },
      "MaxConcurrency": ${batch_concurrency},
      "ToleratedFailureCountPath": "$.run.batches",
      "ItemProcessor": {
        "ProcessorConfig": {
          "Mode": "DISTRIBUTED",
          "ExecutionType": "STANDARD"
        },
        "StartAt": "ReadRecords",
        "States": {
          "ReadRecords": {
            "Comment": "One call per 20 of the batch's users reads their delivery records (ids and stages, never a secret); a user whose record is missing here reads it itself.",
            "Type": "Task",
            "Resource": "arn:${partition}:states:::lambda:invoke",
            "Parameters": {
              "FunctionName": "${function_arns.read_records}",
              "Payload": {
                "entries.$": "$.entries"
              }
            },
            "ResultSelector": {
              "entries.$": "$.Payload.entries"
            },
            "ResultPath": "$.read",
            "Retry": ${transient_retry},
            "Catch": [
              {
                "ErrorEquals": [
                  "States.ALL"
                ],
                "ResultPath": "$.readError",
                "Next": "WithoutRecords"
              }
            ],
            "Next": "RotateBatch"
          },
          "WithoutRecords": {
            "Type": "Pass",
            "Parameters": {
              "entries.$": "$.entries"
            },
            "ResultPath": "$.read",
            "Next": "RotateBatch"
          },
          "RotateBatch": {
            "Type": "Map",
            "ItemsPath": "$.read.entries",
            "ItemSelector": {
              "user.$": "$$.Map.Item.Value.user",
              "record.$": "$$.Map.Item.Value.record",
              "dryRun.$": "$.run.dryRun",
              "force.$": "$.run.force",
              "prefix.$": "$.run.prefix"
            },
            "MaxConcurrency": ${user_concurrency},
            "ItemProcessor": {
              "ProcessorConfig": {
                "Mode": "INLINE"
              },
              "StartAt": "Rotate",
              "States": {
                "Rotate": {
                  "Comment": "A retried rotate is told so (attempt): it then ignores the batch's record and may find a key of its own earlier attempt.",
                  "Type": "Task",
                  "Resource": "arn:${partition}:states:::lambda:invoke",
                  "Parameters": {
                    "FunctionName": "${function_arns.rotate}",
                    "Payload": {
                      "user.$": "$.user",
                      "record.$": "$.record",
                      "dryRun.$": "$.dryRun",
                      "force.$": "$.force",
                      "prefix.$": "$.prefix",
                      "attempt.$": "$$.State.RetryCount"
                    }
                  },
                  "OutputPath": "$.Payload",
                  "Retry": ${transient_retry},
                  "Catch": [
                    {
                      "ErrorEquals": [
                        "States.ALL"
                      ],
                      "ResultPath": "$.error",
                      "Next": "RotateFailed"
                    }
                  ],
                  "Next": "Ready"
                },
                "Ready": {
                  "Type": "Choice",
                  "Choices": [
                    {
                      "Variable": "$.outcome",
                      "StringEquals": "ready",
                      "Next": "Handoff"
                    },
                    {
                      "Variable": "$.outcome",
                      "StringEquals": "unusable",
                      "Next": "NewKeyNotUsable"
                    }
                  ],
                  "Default": "NotRotated"
                },
                "NewKeyNotUsable": {
                  "Comment": "The new key never authenticated before its handoff (rotate's detail says how it was refused): it was never handed off, so it is rolled back as a refused handoff is.",
                  "Type": "Pass",
                  "Parameters": {
                    "Error": "NewKeyNotUsable",
                    "Cause.$": "$.detail"
                  },
                  "ResultPath": "$.error",
                  "Next": "RollBack"
                },
                "Handoff": {
                  "Comment": "The credentials handler gets names and ids (the IAM user name and its account); it reads the key from the secret. Its own errors are refusals, retried then rolled back. An error that leaves the outcome unknown (a timeout, a crash, a failure of Lambda itself) is never retried here and never rolled back: the handler may hold the key.",
                  "Type": "Task",
                  "Resource": "arn:${partition}:states:::lambda:invoke",
                  "Parameters": {
                    "FunctionName": "${credentials_handler_arn}",
                    "Payload": {
                      "username.$": "$.iamUsername",
                      "accountId.$": "$.accountId",
                      "secretName.$": "$.secretName",
                      "metadata.$": "$.metadata",
                      "secretArn.$": "$.secretArn",
                      "accessKeyId.$": "$.accessKeyId",
                      "versionId.$": "$.versionId"
                    }
                  },
                  "ResultPath": null,
                  "Retry": [
                    {
                      "ErrorEquals": [
                        "Lambda.TooManyRequestsException"
                      ],
                      "IntervalSeconds": 2,
                      "MaxAttempts": 8,
                      "BackoffRate": 2,
                      "MaxDelaySeconds": 30,
                      "JitterStrategy": "FULL"
                    },
                    {
                      "ErrorEquals": ${handoff_outcome_unknown},
                      "MaxAttempts": 0
                    },
                    {
                      "ErrorEquals": [
                        "States.ALL"
                      ],
                      "IntervalSeconds": 5,
                      "MaxAttempts": 3,
                      "BackoffRate": 2,
                      "MaxDelaySeconds": 60,
                      "JitterStrategy": "FULL"
                    }
                  ],
                  "Catch": [
                    {
                      "ErrorEquals": ${handoff_outcome_unknown},
                      "ResultPath": "$.error",
                      "Next": "Unconfirmed"
                    },
                    {
                      "ErrorEquals": [
                        "States.ALL"
                      ],
                      "ResultPath": "$.error",
                      "Next": "RollBack"
                    }
                  ],
                  "Next": "MarkDelivered"
                },
                "MarkDelivered": {
                  "Comment": "The handler confirmed the key: its version becomes the delivered one (its pending-handoff stage goes).",
                  "Type": "Task",
                  "Resource": "arn:${partition}:states:::aws-sdk:secretsmanager:updateSecretVersionStage",
                  "Parameters": {
                    "SecretId.$": "$.secretArn",
                    "VersionStage.$": "$.pendingStage",
                    "RemoveFromVersionId.$": "$.versionId"
                  },
                  "ResultPath": null,
                  "Retry": [
                    {
                      "ErrorEquals": [
                        "States.ALL"
                      ],
                      "IntervalSeconds": 1,
                      "MaxAttempts": 10,
                      "BackoffRate": 2,
                      "MaxDelaySeconds": 60,
                      "JitterStrategy": "FULL"
                    }
                  ],
                  "Catch": [
                    {
                      "ErrorEquals": [
                        "States.ALL"
                      ],
                      "ResultPath": "$.error",
                      "Next": "Unconfirmed"
                    }
                  ],
                  "Next": "HandedOff"
                },
                "HandedOff": {
                  "Type": "Pass",
                  "Parameters": {
                    "username.$": "$.username",
                    "outcome": "handed_off",
                    "accessKeyId.$": "$.accessKeyId",
                    "previousKeyId.$": "$.previousKeyId"
                  },
                  "End": true
                },
                "Unconfirmed": {
                  "Comment": "The handler may hold the key but its handoff is not confirmed: both keys stay, the next run hands the same key off again. Only the error's name is kept.",
                  "Type": "Pass",
                  "Parameters": {
                    "username.$": "$.username",
                    "outcome": "unconfirmed",
                    "accessKeyId.$": "$.accessKeyId",
                    "error.$": "$.error.Error"
                  },
                  "End": true
                },
                "NotRotated": {
                  "Comment": "Skipped for its key's age, planned in a dry run, or deferred: its previous key is still in use (deferral).",
                  "Type": "Pass",
                  "Parameters": {
                    "username.$": "$.username",
                    "outcome.$": "$.outcome",
                    "detail.$": "$.detail",
                    "deferral.$": "$.deferral"
                  },
                  "End": true
                },
                "RollBack": {
                  "Type": "Task",
                  "Resource": "arn:${partition}:states:::lambda:invoke",
                  "Parameters": {
                    "FunctionName": "${function_arns.roll_back}",
                    "Payload.$": "$"
                  },
                  "OutputPath": "$.Payload",
                  "Retry": ${transient_retry},
                  "Catch": [
                    {
                      "ErrorEquals": [
                        "States.ALL"
                      ],
                      "ResultPath": "$.error",
                      "Next": "RollBackFailed"
                    }
                  ],
                  "End": true
                },
                "RotateFailed": {
                  "Type": "Pass",
                  "Parameters": {
                    "username.$": "$.user.username",
                    "outcome": "failed",
                    "error.$": "$.error.Error",
                    "message.$": "$.error.Cause"
                  },
                  "End": true
                },
                "RollBackFailed": {
                  "Type": "Pass",
                  "Parameters": {
                    "username.$": "$.username",
                    "outcome": "failed",
                    "error.$": "$.error.Error",
                    "message.$": "$.error.Cause"
                  },
                  "End": true
                }
              }
            },
            "ResultPath": "$.results",
            "Next": "RecordOutcomes"
          },
          "RecordOutcomes": {
            "Comment": "The batch's outcomes go to the run-data bucket, where Finish reads them; the batch's read records tell which key each user not handed a new one still holds.",
            "Type": "Task",
            "Resource": "arn:${partition}:states:::lambda:invoke",
            "Parameters": {
              "FunctionName": "${function_arns.record_outcomes}",
              "Payload": {
                "prefix.$": "$.run.prefix",
                "batch.$": "$.batch",
                "entries.$": "$.read.entries",
                "results.$": "$.results"
              }
            },
            "ResultPath": null,
            "Retry": ${transient_retry},
            "Catch": [
              {
                "ErrorEquals": [
                  "States.ALL"
                ],
                "ResultPath": "$.recordError",
                "Next": "OutcomesNotRecorded"
              }
            ],
            "Next": "BatchDone"
          },
          "BatchDone": {
            "Type": "Pass",
            "Parameters": {
              "batch.$": "$.batch",
              "recorded": true
            },
            "End": true
          },
          "OutcomesNotRecorded": {
            "Comment": "Finish reports this batch's users as failed and retires none of their keys; the next run goes on from their records.",
            "Type": "Pass",
            "Parameters": {
              "batch.$": "$.batch",
              "recorded": false
            },
            "End": true
          }
        }
      },
      "ResultPath": null,
      "Catch": [
        {
          "ErrorEquals": [
            "States.ALL"
          ],
          "ResultPath": "$.rotateError",
          "Next": "DryRun"
        }
      ],
      "Next": "DryRun"
    },
    "DryRun": {
      "Comment": "A dry run handed nothing off, so nothing waits to be retired.",
      "Type": "Choice",
      "Choices": [
        {
          "Variable": "$.run.dryRun",
          "BooleanEquals": true,
          "Next": "Finish"
        }
      ],
      "Default": "GraceWait"
    },
    "GraceWait": {
      "Comment": "One wait for the whole run: the handlers switch to their new keys before the old ones go (0 s when Finish retires no key in this run: its previous keys are judged by a later run).",
      "Type": "Wait",
      "Seconds": ${grace_wait_seconds},
      "Next": "Finish"
    },
    "Finish": {
      "Comment": "Retires the previously delivered keys and writes the full summary; when its time runs short it returns where to resume.",
      "Type": "Task",
      "Resource": "arn:${partition}:states:::lambda:invoke",
      "Parameters": {
        "FunctionName": "${function_arns.finish}",
        "Payload": {
          "run.$": "$.run",
          "resume.$": "$.resume"
        }
      },
      "ResultSelector": {
        "resume.$": "$.Payload.resume",
        "summary.$": "$.Payload.summary",
        "failure.$": "$.Payload.failure"
      },
      "ResultPath": "$.finished",
      "Retry": ${transient_retry},
      "Next": "Finished"
    },
    "Finished": {
      "Type": "Choice",
      "Choices": [
        {
          "Variable": "$.finished.resume",
          "IsNull": false,
          "Next": "ResumeFinish"
        },
        {
          "Variable": "$.finished.failure",
          "IsNull": false,
          "Next": "RunFailed"
        }
      ],
      "Default": "Done"
    },
    "ResumeFinish": {
      "Type": "Pass",
      "Parameters": {
        "run.$": "$.run",
        "resume.$": "$.finished.resume"
      },
      "Next": "Finish"
    },
    "Done": {
      "Comment": "The run's output is the summary.",
      "Type": "Succeed",
      "OutputPath": "$.finished.summary"
    },
    "RunFailed": {
      "Comment": "At least one user failed: the run fails with the summary (at most 30,000 characters) as its cause, so an alarm fires.",
      "Type": "Fail",
      "ErrorPath": "$.finished.failure.error",
      "CausePath": "$.finished.failure.cause"
    },
    "ExplainRefusal": {
      "Comment": "Plan refused the run before anything changed; its message (at most 1,000 characters) becomes the cause.",
      "Type": "Pass",
      "Parameters": {
        "error.$": "$.Error",
        "cause.$": "States.StringToJson($.Cause)"
      },
      "Next": "RunRefused"
    },
    "RunRefused": {
      "Type": "Fail",
      "ErrorPath": "$.error",
      "CausePath": "$.cause.errorMessage"
    }
  }
}
