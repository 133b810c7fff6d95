{
  "Comment": "Rotates IAM user access keys: plan, rotate and hand off each user in batches of a Distributed Map, one grace wait, then retire the previously delivered keys. Contract: docs/design.md.",
  "StartAt": "Plan",
  "States": {
    "Plan": {
      "Comment": "Writes the run's batches to the run-data bucket and returns where they are.",
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {
        "FunctionName": "${plan_function_arn}",
        "Payload": {
          "input.$": "$",
          "stateMachineArn.$": "$$.StateMachine.Id",
          "executionArn.$": "$$.Execution.Id",
          "startTime.$": "$$.Execution.StartTime",
          "runDataBucket": "${run_data_bucket}",
          "batchSize": ${batch_size}
        }
      },
      "OutputPath": "$.Payload",
      "Retry": [
        {
          "ErrorEquals": [
            "Lambda.ServiceException",
            "Lambda.AWSLambdaException",
            "Lambda.SdkClientException",
            "Lambda.TooManyRequestsException"
          ],
          "IntervalSeconds": 2,
          "MaxAttempts": 8,
          "BackoffRate": 2,
          "MaxDelaySeconds": 30,
          "JitterStrategy": "FULL"
        }
      ],
      "Catch": [
        {
          "ErrorEquals": [
            "InvalidRunInput",
            "InvalidUsersParameter",
            "UnknownUser",
            "RotationAlreadyRunning"
          ],
          "Next": "ExplainFailure"
        }
      ],
      "Next": "RotateUsers"
    },
    "RotateUsers": {
      "Comment": "One child execution per batch of users, each with its own history; the items are read from the run-data bucket, not passed in the state. Every child ends with its batch's outcomes recorded; should the Map itself fail, Finish still retires what was recorded and reports the rest as failed.",
      "Type": "Map",
      "ItemReader": {
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {
          "InputType": "JSON"
        },
        "Parameters": {
          "Bucket.$": "$.bucket",
          "Key.$": "$.itemsKey"
        }
      },
      "ItemSelector": {
        "batch.$": "$$.Map.Item.Value.batch",
        "entries.$": "$$.Map.Item.Value.entries",
        "bucket.$": "$.bucket",
        "prefix.$": "$.prefix",
        "dry_run.$": "$.dry_run",
        "force.$": "$.force"
      },
      "MaxConcurrency": ${batch_concurrency},
      "ItemProcessor": {
        "ProcessorConfig": {
          "Mode": "DISTRIBUTED",
          "ExecutionType": "STANDARD"
        },
        "StartAt": "ReadRecords",
        "States": {
          "ReadRecords": {
            "Comment": "One call reads the delivery records of the batch's users (ids and dates, never a secret); a user whose record is missing here reads it itself.",
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {
              "FunctionName": "${rotate_function_arn}",
              "Payload": {
                "batch.$": "$.batch",
                "entries.$": "$.entries"
              }
            },
            "ResultSelector": {
              "entries.$": "$.Payload.entries"
            },
            "ResultPath": "$.read",
            "Retry": [
              {
                "ErrorEquals": [
                  "Lambda.ServiceException",
                  "Lambda.AWSLambdaException",
                  "Lambda.SdkClientException",
                  "Lambda.TooManyRequestsException"
                ],
                "IntervalSeconds": 2,
                "MaxAttempts": 8,
                "BackoffRate": 2,
                "MaxDelaySeconds": 30,
                "JitterStrategy": "FULL"
              }
            ],
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
              "dry_run.$": "$.dry_run",
              "force.$": "$.force"
            },
            "MaxConcurrency": ${user_concurrency},
            "ItemProcessor": {
              "ProcessorConfig": {
                "Mode": "INLINE"
              },
              "StartAt": "Rotate",
              "States": {
                "Rotate": {
                  "Comment": "Not retried on a function error: a repeated partial rotation could strand a key.",
                  "Type": "Task",
                  "Resource": "arn:aws:states:::lambda:invoke",
                  "Parameters": {
                    "FunctionName": "${rotate_function_arn}",
                    "Payload.$": "$"
                  },
                  "OutputPath": "$.Payload",
                  "Retry": [
                    {
                      "ErrorEquals": [
                        "Lambda.ServiceException",
                        "Lambda.AWSLambdaException",
                        "Lambda.SdkClientException",
                        "Lambda.TooManyRequestsException"
                      ],
                      "IntervalSeconds": 2,
                      "MaxAttempts": 8,
                      "BackoffRate": 2,
                      "MaxDelaySeconds": 30,
                      "JitterStrategy": "FULL"
                    }
                  ],
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
                    }
                  ],
                  "Default": "NotRotated"
                },
                "Handoff": {
                  "Comment": "The credentials handler gets names and ids; it reads the key from the secret. A throttled invoke never ran the handler: it is retried apart from the handler's own errors.",
                  "Type": "Task",
                  "Resource": "arn:aws:states:::lambda:invoke",
                  "Parameters": {
                    "FunctionName": "${credentials_handler_arn}",
                    "Payload": {
                      "username.$": "$.username",
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
                  "Comment": "The new version is now the delivered one: remove its pending-handoff stage.",
                  "Type": "Task",
                  "Resource": "arn:aws:states:::aws-sdk:secretsmanager:updateSecretVersionStage",
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
                      "ResultPath": "$.markError",
                      "Next": "MarkDeliveredFailed"
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
                    "retireKeyId.$": "$.retireKeyId"
                  },
                  "End": true
                },
                "NotRotated": {
                  "Type": "Pass",
                  "Parameters": {
                    "username.$": "$.username",
                    "outcome.$": "$.outcome",
                    "detail.$": "$.detail"
                  },
                  "End": true
                },
                "RollBack": {
                  "Type": "Task",
                  "Resource": "arn:aws:states:::lambda:invoke",
                  "Parameters": {
                    "FunctionName": "${roll_back_function_arn}",
                    "Payload.$": "$"
                  },
                  "OutputPath": "$.Payload",
                  "Retry": [
                    {
                      "ErrorEquals": [
                        "Lambda.ServiceException",
                        "Lambda.AWSLambdaException",
                        "Lambda.SdkClientException",
                        "Lambda.TooManyRequestsException"
                      ],
                      "IntervalSeconds": 2,
                      "MaxAttempts": 8,
                      "BackoffRate": 2,
                      "MaxDelaySeconds": 30,
                      "JitterStrategy": "FULL"
                    }
                  ],
                  "Catch": [
                    {
                      "ErrorEquals": [
                        "States.ALL"
                      ],
                      "ResultPath": "$.rollBackError",
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
                "MarkDeliveredFailed": {
                  "Type": "Pass",
                  "Parameters": {
                    "username.$": "$.username",
                    "outcome": "failed",
                    "error.$": "$.markError.Error",
                    "message.$": "$.markError.Cause"
                  },
                  "End": true
                },
                "RollBackFailed": {
                  "Type": "Pass",
                  "Parameters": {
                    "username.$": "$.username",
                    "outcome": "failed",
                    "error.$": "$.rollBackError.Error",
                    "message.$": "$.rollBackError.Cause"
                  },
                  "End": true
                }
              }
            },
            "ResultPath": "$.results",
            "Next": "RecordOutcomes"
          },
          "RecordOutcomes": {
            "Comment": "The batch's outcomes go to the run-data bucket, where Finish reads them.",
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {
              "FunctionName": "${finish_function_arn}",
              "Payload": {
                "record": {
                  "bucket.$": "$.bucket",
                  "prefix.$": "$.prefix",
                  "batch.$": "$.batch",
                  "results.$": "$.results"
                }
              }
            },
            "ResultPath": null,
            "Retry": [
              {
                "ErrorEquals": [
                  "Lambda.ServiceException",
                  "Lambda.AWSLambdaException",
                  "Lambda.SdkClientException",
                  "Lambda.TooManyRequestsException"
                ],
                "IntervalSeconds": 2,
                "MaxAttempts": 8,
                "BackoffRate": 2,
                "MaxDelaySeconds": 30,
                "JitterStrategy": "FULL"
              }
            ],
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
            "Comment": "Finish reports this batch's users as failed and retires none of their keys; the next run cleans up.",
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
          "Variable": "$.dry_run",
          "BooleanEquals": true,
          "Next": "Finish"
        }
      ],
      "Default": "GraceWait"
    },
    "GraceWait": {
      "Comment": "One wait for the whole run: the handlers switch to their new keys before the old ones go.",
      "Type": "Wait",
      "Seconds": ${cleanup_wait_seconds},
      "Next": "Finish"
    },
    "Finish": {
      "Comment": "Retires the previously delivered keys and writes the full summary; when its time runs short it returns where to resume.",
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {
        "FunctionName": "${finish_function_arn}",
        "Payload": {
          "run.$": "$",
          "maxConcurrency": ${max_concurrency}
        }
      },
      "ResultSelector": {
        "output.$": "$.Payload"
      },
      "ResultPath": "$.finished",
      "Retry": [
        {
          "ErrorEquals": [
            "Lambda.ServiceException",
            "Lambda.AWSLambdaException",
            "Lambda.SdkClientException",
            "Lambda.TooManyRequestsException"
          ],
          "IntervalSeconds": 2,
          "MaxAttempts": 8,
          "BackoffRate": 2,
          "MaxDelaySeconds": 30,
          "JitterStrategy": "FULL"
        }
      ],
      "Catch": [
        {
          "ErrorEquals": [
            "RotationFailed"
          ],
          "Next": "ExplainFailure"
        }
      ],
      "Next": "Finished"
    },
    "Finished": {
      "Type": "Choice",
      "Choices": [
        {
          "Variable": "$.finished.output.resume",
          "IsNull": false,
          "Next": "ResumeFinish"
        }
      ],
      "Default": "Done"
    },
    "ResumeFinish": {
      "Type": "Pass",
      "Parameters": {
        "dry_run.$": "$.dry_run",
        "force.$": "$.force",
        "bucket.$": "$.bucket",
        "prefix.$": "$.prefix",
        "itemsKey.$": "$.itemsKey",
        "count.$": "$.count",
        "batches.$": "$.batches",
        "resume.$": "$.finished.output.resume"
      },
      "Next": "Finish"
    },
    "Done": {
      "Comment": "The run's output is the summary.",
      "Type": "Succeed",
      "OutputPath": "$.finished.output.summary"
    },
    "ExplainFailure": {
      "Comment": "Our functions' errors carry a readable message: make it the cause of the failed run.",
      "Type": "Pass",
      "Parameters": {
        "error.$": "$.Error",
        "cause.$": "States.StringToJson($.Cause)"
      },
      "Next": "RunFailed"
    },
    "RunFailed": {
      "Type": "Fail",
      "ErrorPath": "$.error",
      "CausePath": "$.cause.errorMessage"
    }
  }
}
